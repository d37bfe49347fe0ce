package dev.weir.engine.stream;

import dev.weir.engine.data.ArrowTable;
import java.util.Objects;

/**
 * One output of a streaming run: what terminal task {@code task} made of source batch {@code batchId}.
 * A batch split by {@code max-rows} on its way yields several results, numbered by {@code part} from 0.
 * The receiver owns {@code table} and closes it (closing the result closes it).
 */
public record BatchResult(long batchId, int part, String task, ArrowTable table) implements AutoCloseable {

    public BatchResult {
        if (batchId < 0 || part < 0) {
            throw new IllegalArgumentException("batchId and part cannot be negative: " + batchId + ", " + part);
        }
        Objects.requireNonNull(task, "task is null");
        Objects.requireNonNull(table, "table is null");
    }

    public long rowCount() {
        return table.rowCount();
    }

    @Override
    public void close() {
        table.close();
    }

    @Override
    public String toString() {
        return "BatchResult[batch " + batchId + " part " + part + " of '" + task + "', " + table.rowCount() + " rows]";
    }
}
