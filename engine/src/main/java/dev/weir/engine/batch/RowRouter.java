package dev.weir.engine.batch;

import java.util.function.IntUnaryOperator;
import org.apache.arrow.vector.VectorSchemaRoot;

/**
 * Which chunk each row of an input belongs to, computed once per row: the engine reads an input once
 * and hands each chunk its rows, instead of evaluating every chunk's predicate on every row (chunks ×
 * rows). It must agree with the chunks' predicates: row {@code r} goes to chunk {@code p} exactly when
 * the predicate of the {@code p}-th chunk (and so its {@link Chunk#rows()} twin) selects it, and a row
 * no predicate selects goes nowhere ({@code -1}). Chunks whose predicates overlap cannot be routed.
 *
 * <p>Immutable and thread-safe: the engine binds one router to batches on several threads at once.
 */
@FunctionalInterface
public interface RowRouter {

    /**
     * Binds the router to one batch; the operator maps a row index to the position of its chunk in the
     * list the router was made for ({@link InvocationHook#route}), or to {@code -1} when no chunk reads
     * the row. Called once per batch; the operator is used by the calling thread only, while the batch
     * is open.
     *
     * @throws IllegalArgumentException when the batch lacks a column the router reads, or holds it in a
     *                                  type the router cannot read
     */
    IntUnaryOperator bind(VectorSchemaRoot batch);
}
