package dev.weir.engine.batch;

import java.util.List;

/**
 * How a task is called (pipedag #205). The default calls it once; a hook splits it into chunks, each
 * of which dematerializes only its rows of the inputs, calls the task, and appends its rows to the
 * task's output tables; the engine runs the chunks in parallel and then finalizes the outputs (their
 * keys and cache entry). A hook speaks to three of the seed's four concerns: {@link #prepare} the
 * chunks, the engine's parallel loop over them, and {@link #restrict} feeding each chunk's predicate to
 * dematerialization. The fourth, finalizing, is the engine's: an output is the union of its chunks'
 * rows, written once (a query over the whole output belongs in a downstream task).
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

    /** How many chunks compute at once. */
    default int computeParallelism() {
        return Math.max(1, Runtime.getRuntime().availableProcessors());
    }

    /** How many chunk uploads are in flight at once. */
    default int uploadParallelism() {
        return 4;
    }

    /**
     * How many computed chunks may wait in memory for an upload slot; when that many wait, no new chunk
     * starts computing, so a slow store holds back computation.
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
