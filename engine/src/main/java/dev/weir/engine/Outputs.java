package dev.weir.engine;

import java.util.Arrays;
import java.util.List;

/**
 * Several outputs of one task, returned in the order the task declared them with
 * {@code outputs(...)}, or matched by the names of their {@link Table}s and {@link Blob}s. An output
 * that is neither is a plain value, kept (as JSON) in the cache metadata; null is such a value.
 */
public record Outputs(List<Object> values) {

    /** Copies {@code values}; a null item is an output whose value is null. */
    public Outputs {
        values = java.util.Collections.unmodifiableList(new java.util.ArrayList<>(values));
    }

    public static Outputs of(Object... values) {
        return new Outputs(Arrays.asList(values));
    }
}
