package dev.weir.engine.placement;

import java.util.List;

/**
 * A chunk computed on a node, waiting there for its upload slot.
 *
 * @param outputs  what it made of each output of the task, in the task's order
 * @param cacheKey the chunk's key in the node's chunk cache, or null when the task's chunks are not cached
 * @param fromCache true when the chunk was found in the node's chunk cache instead of computed
 * @param node     the node that computed it, e.g. {@code pekko://weir@10.0.0.7:25520}
 * @param seconds  how long it took
 */
public record ChunkComputed(List<Output> outputs, String cacheKey, boolean fromCache, String node, double seconds) {

    public ChunkComputed {
        outputs = List.copyOf(outputs);
    }

    public long rows() {
        return outputs.stream().mapToLong(Output::rows).sum();
    }

    /**
     * One output of a computed chunk.
     *
     * @param name       the task's output name
     * @param table      the table it is appended to, in the task's stage
     * @param columns    the chunk's Arrow schema as JSON ({@code Schema.toJson()}): the table is created with
     *                   these columns by the run, before the first append
     * @param rows       the chunk's rows of it
     * @param primaryKey the table's primary key columns
     * @param indexes    the table's indexes
     */
    public record Output(String name, String table, String columns, long rows, List<String> primaryKey,
                         List<List<String>> indexes) {
        public Output {
            primaryKey = primaryKey == null ? List.of() : List.copyOf(primaryKey);
            indexes = indexes == null ? List.of() : indexes.stream().map(List::copyOf).toList();
        }
    }
}
