package dev.weir.engine.batch;

import java.util.Objects;

/**
 * One slice of a batched task.
 *
 * @param index     the chunk's position, 0-based; keys its slice of each output (appended once) and its
 *                  chunk cache entry
 * @param predicate an SQL predicate (in the store's dialect) selecting the chunk's rows of each input,
 *                  pushed into the dematerializing query; null reads inputs whole
 * @param label     a short description for progress and the run report, e.g. {@code bucket 3 of 50}
 * @param rows      the in-memory twin of {@code predicate}, selecting the same rows of an inlined input
 *                  (see {@link RowFilter}), or null when the predicate has none: then the chunk cannot
 *                  read inlined inputs, and {@link InvocationHook#filtersInMemory} must say so
 */
public record Chunk(int index, String predicate, String label, RowFilter rows) {

    public Chunk {
        if (index < 0) {
            throw new IllegalArgumentException("a chunk index cannot be negative: " + index);
        }
        Objects.requireNonNull(label, "label is null");
        if (predicate == null && rows == null) {
            rows = RowFilter.ALL;
        }
    }

    /** A chunk whose predicate has no in-memory twin. */
    public Chunk(int index, String predicate, String label) {
        this(index, predicate, label, null);
    }
}
