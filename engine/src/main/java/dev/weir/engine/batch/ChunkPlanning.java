package dev.weir.engine.batch;

import dev.weir.engine.data.ArrowTable;
import dev.weir.engine.data.Rows;
import java.util.List;
import java.util.Optional;

/**
 * What an {@link InvocationHook} may use while it prepares chunks: the task's inputs as SQL names or
 * in-memory data, and the store's dialect. Called on the blocking dispatcher.
 */
public interface ChunkPlanning {

    /**
     * The task's table inputs, by name, in declaration order: tables in the store and inlined tables
     * held in memory ({@link #inMemory}).
     */
    List<String> tableInputs();

    /**
     * The quoted SQL name of a table input.
     *
     * @throws IllegalArgumentException for an input held in memory, which has no SQL name
     */
    String sqlName(String input);

    /**
     * The data of an inlined table input, held in memory and never written to the store; empty for an
     * input in the store. The data stays the engine's: read it while preparing, do not close it.
     */
    Optional<ArrowTable> inMemory(String input);

    /**
     * An expression putting each row in one of {@code buckets} buckets by its {@code columns}. When the
     * columns are signed integers (in the task's first table input) it is {@link IntegerBuckets}'
     * arithmetic, which has an in-memory twin ({@link #bucketFilter}); otherwise the store's own hash.
     */
    String bucketExpression(List<String> columns, int buckets);

    /**
     * The in-memory twin of {@code bucketExpression(columns, buckets) = bucket}, present when that
     * expression is {@link IntegerBuckets}' arithmetic and so can be evaluated in Java too.
     */
    Optional<RowFilter> bucketFilter(List<String> columns, int buckets, int bucket);

    /** Quotes an identifier for the store's dialect. */
    String quote(String identifier);

    /** Runs a query in the store (e.g. the range of a column) and returns its (small) result. */
    Rows query(String sql);
}
