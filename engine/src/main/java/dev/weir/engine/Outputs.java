package dev.weir.engine;

import java.util.Arrays;
import java.util.List;

/**
 * Several outputs of one task, returned in the order the task declared them with
 * {@code outputs(...)}, or matched by the names of their {@link Table}s and {@link Blob}s. An output
 * that is neither is a plain value, kept (as JSON) in the cache metadata.
 */
public record Outputs(List<Object> values) {

    public Outputs {
        values = List.copyOf(values);
    }

    public static Outputs of(Object... values) {
        return new Outputs(Arrays.asList(values));
    }
}
