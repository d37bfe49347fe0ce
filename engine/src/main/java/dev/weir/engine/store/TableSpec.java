package dev.weir.engine.store;

import java.util.List;
import java.util.Objects;

/**
 * What a materialized table must carry besides its rows.
 *
 * @param primaryKey columns of the primary key, empty for none
 * @param indexes    each index as its list of columns
 */
public record TableSpec(List<String> primaryKey, List<List<String>> indexes) {

    public static final TableSpec NONE = new TableSpec(List.of(), List.of());

    public TableSpec {
        primaryKey = List.copyOf(Objects.requireNonNull(primaryKey, "primaryKey is null"));
        indexes = indexes.stream().map(List::copyOf).toList();
        for (List<String> index : indexes) {
            if (index.isEmpty()) {
                throw new IllegalArgumentException("an index needs at least one column");
            }
        }
    }
}
