package dev.weir.engine.batch;

import java.util.List;
import java.util.Optional;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * How a task is called (pipedag #205). The default calls it once; a hook splits it into chunks, each
 * of which dematerializes only its rows of the inputs, calls the task, and appends its rows to the
 * task's output tables; the engine runs the chunks in parallel and then finalizes the outputs (their
 * keys and cache entry). A hook speaks to three of the seed's four concerns: {@link #prepare} the
 * chunks, the engine's parallel loop over them, and {@link #restrict} feeding each chunk's predicate to
 * dematerialization. The fourth, finalizing, is the engine's: an output is the union of its chunks'
 * rows, written once (a query over the whole output belongs in a downstream task).
 *
 * <p><b>Inlined inputs.</b> A batched task may read tables its producers hand over in memory
 * ({@code Table.inline()}): each chunk then gets only its rows of the in-memory data, selected by
 * {@link #restrictInMemory}, the twin of {@link #restrict}. Both must select the same rows, or chunks
 * would differ between a run with the table inlined and one with it materialized, and rows of two
 * inputs with equal keys could miss each other. A hook that filters only in SQL keeps the default
 * {@link #filtersInMemory} (false): the producers' tables are then written to the store as before.
 *
 * <p>Hooks are immutable and thread-safe: the engine calls them from the blocking dispatcher.
 */
public interface InvocationHook {

    /**
     * A stable description of the chunking configuration (e.g. {@code hash(customer_id) % 50}). It
     * joins the task's cache key, so a change of chunking reruns the task.
     */
    String describe();

    /** Splits the task into chunks. Blocking; may query the store. */
    List<Chunk> prepare(ChunkPlanning planning) throws Exception;

    /**
     * The predicate restricting input {@code input} for {@code chunk}, or null to read it whole (e.g. a
     * small lookup table every chunk needs). Default: the chunk's predicate for every input.
     */
    default String restrict(Chunk chunk, String input) {
        return chunk.predicate();
    }

    /**
     * Whether every chunk can select its rows of input {@code input} in memory, whose data has
     * {@code schema}. Asked when the input's producer has computed its table and before it is inlined:
     * false writes the table to the store instead (a debug line says why). Default: false.
     */
    default boolean filtersInMemory(String input, Schema schema) {
        return false;
    }

    /**
     * The rows of inlined input {@code input} that {@code chunk} reads: exactly those {@link #restrict}
     * selects in the store. Called only for inputs {@link #filtersInMemory} accepted. Default: every
     * row when {@code restrict} reads the input whole, the chunk's own {@link Chunk#rows()} when it
     * restricts it by the chunk's predicate, and empty (the chunk cannot read it) otherwise.
     */
    default Optional<RowFilter> restrictInMemory(Chunk chunk, String input) {
        String where = restrict(chunk, input);
        if (where == null) {
            return Optional.of(RowFilter.ALL);
        }
        return where.equals(chunk.predicate()) ? Optional.ofNullable(chunk.rows()) : Optional.empty();
    }

    /**
     * A router putting each row of input {@code input} in one of {@code chunks} (the list {@link #prepare}
     * returned), agreeing with {@link #restrictInMemory}: the engine then splits the input by reading each
     * row once rather than filtering it once per chunk. An inlined input is routed in memory; an input in
     * the store is too when {@link #scanOnce()} says so. Default: none, so each chunk selects its own rows.
     */
    default Optional<RowRouter> route(List<Chunk> chunks, String input) {
        return Optional.empty();
    }

    /**
     * Whether the chunks' rows of an input in the store are read in one scan of the input, each row handed
     * to its chunk by {@link #route} and kept on local disk ({@code <workDir>/spill}) until the chunks have
     * read it, instead of each chunk reading its rows with its predicate. One scan costs the store one
     * pass over the input whatever the number of chunks, but no chunk starts before the scan has ended;
     * predicates pay when an index serves them (ranges of an indexed key). Applies only to chunks running
     * in this JVM: a chunk placed on another node reads its rows by its predicate. Default: false.
     */
    default boolean scanOnce() {
        return false;
    }

    /** How many chunks compute at once. */
    default int computeParallelism() {
        return Math.max(1, Runtime.getRuntime().availableProcessors());
    }

    /** How many chunk uploads are in flight at once. */
    default int uploadParallelism() {
        return 4;
    }

    /**
     * How many computed chunks may wait in memory for an upload slot, at most. A chunk starts computing
     * only when, should it and every chunk still computing finish while the uploads are busy, no more
     * than that many would wait; so a slow store holds back computation.
     */
    default int maxBufferedChunks() {
        return 2 * uploadParallelism();
    }

    /**
     * Whether each chunk's outputs are kept in the instance's local table cache (Parquet files under
     * {@code <workDir>/table-cache}), one entry per chunk, keyed by the task's name, version and cache
     * function, {@link #describe()}, the chunk, and a fingerprint of the chunk's rows of each input.
     * When the task runs again, a chunk whose key is unchanged is loaded from its entry instead of
     * computed; a change of chunking changes every key. Default: false.
     */
    default boolean cacheChunks() {
        return false;
    }
}
