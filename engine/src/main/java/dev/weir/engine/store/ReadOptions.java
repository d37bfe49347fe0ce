package dev.weir.engine.store;

import java.util.List;
import java.util.Objects;

/**
 * How to read a table back: which columns, which rows, in batches of what size.
 *
 * @param columns   columns to read, empty for all
 * @param where     an SQL predicate pushed into the reading query (e.g. a chunk's filter), or null
 * @param batchRows the most rows per Arrow batch
 */
public record ReadOptions(List<String> columns, String where, int batchRows) {

    public static final int DEFAULT_BATCH_ROWS = 65_536;
    public static final ReadOptions ALL = new ReadOptions(List.of(), null, DEFAULT_BATCH_ROWS);

    public ReadOptions {
        columns = List.copyOf(Objects.requireNonNull(columns, "columns is null"));
        if (batchRows <= 0) {
            throw new IllegalArgumentException("batchRows must be positive, was " + batchRows);
        }
    }

    public ReadOptions where(String predicate) {
        return new ReadOptions(columns, predicate, batchRows);
    }
}
