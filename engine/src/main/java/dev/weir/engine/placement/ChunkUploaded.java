package dev.weir.engine.placement;

import java.util.Map;

/**
 * A chunk appended to its task's output tables on a node.
 *
 * @param rows      the chunk's rows in each output table, by output name (a slice an earlier attempt appended
 *                  already counts the rows that attempt appended)
 * @param fromCache true when it was uploaded from the node's chunk cache
 * @param node      the node that appended it
 * @param seconds   how long the append took
 */
public record ChunkUploaded(Map<String, Long> rows, boolean fromCache, String node, double seconds) {

    public ChunkUploaded {
        rows = Map.copyOf(rows);
    }

    public long totalRows() {
        return rows.values().stream().mapToLong(Long::longValue).sum();
    }
}
