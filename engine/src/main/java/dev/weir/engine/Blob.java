package dev.weir.engine;

import java.util.Objects;

/**
 * A task output kept in the blob store as a file: raw bytes, or any value Jackson writes as JSON.
 * Read back by asking for {@code byte[]} or for the value's type.
 */
public record Blob(Object value, String name) {

    public Blob {
        Objects.requireNonNull(value, "value is null");
        if (name != null && name.isBlank()) {
            throw new IllegalArgumentException("a blob name cannot be blank");
        }
    }

    public static Blob of(Object value) {
        return new Blob(value, null);
    }

    public static Blob of(Object value, String name) {
        return new Blob(value, Objects.requireNonNull(name, "name is null"));
    }
}
