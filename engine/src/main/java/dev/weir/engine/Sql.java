package dev.weir.engine;

import java.util.Objects;

/**
 * A query run inside the table store, the payload of a lazy task's {@link Table}: the store creates
 * the table with {@code CREATE TABLE … AS <query>}; rows never pass through the JVM.
 */
public record Sql(String query) {

    public Sql {
        Objects.requireNonNull(query, "query is null");
        if (query.isBlank()) {
            throw new IllegalArgumentException("the query is empty");
        }
    }

    public static Sql of(String query) {
        return new Sql(query);
    }
}
