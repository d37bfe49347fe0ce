package dev.weir.engine.batch;

import dev.weir.engine.data.Rows;
import java.util.List;

/**
 * What an {@link InvocationHook} may use while it prepares chunks: the task's inputs as SQL names and
 * the store's dialect. Called on the blocking dispatcher.
 */
public interface ChunkPlanning {

    /** The task's table inputs, by name. */
    List<String> tableInputs();

    /** The quoted SQL name of a table input. */
    String sqlName(String input);

    /** The store's expression putting each row in one of {@code buckets} buckets by its {@code columns}. */
    String bucketExpression(List<String> columns, int buckets);

    /** Quotes an identifier for the store's dialect. */
    String quote(String identifier);

    /** Runs a query in the store (e.g. the range of a column) and returns its (small) result. */
    Rows query(String sql);
}
