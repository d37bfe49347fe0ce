package dev.weir.engine.batch;

import java.util.function.IntPredicate;
import org.apache.arrow.vector.VectorSchemaRoot;

/**
 * The in-memory twin of a chunk's SQL predicate: which rows of a table held in memory (an inlined
 * input, see {@code Table.inline()}) belong to the chunk. It must select exactly the rows the predicate
 * selects in the store, NULLs included, so that a chunk reads the same rows whether its input was
 * inlined or materialized, and rows of several inputs with equal keys meet in the same chunk.
 *
 * <p>Immutable and thread-safe: the engine binds one filter to batches on several threads at once.
 */
@FunctionalInterface
public interface RowFilter {

    /** Every row: the twin of a null predicate (an input read whole). */
    RowFilter ALL = batch -> row -> true;

    /**
     * Binds the filter to one batch; the predicate tells, by row index, whether that row belongs to
     * the chunk. Called once per batch; the predicate is used by the calling thread only, while the
     * batch is open.
     *
     * @throws IllegalArgumentException when the batch lacks a column the filter reads, or holds it in a
     *                                  type the filter cannot read
     */
    IntPredicate bind(VectorSchemaRoot batch);
}
