package dev.weir.engine.placement;

/**
 * Runs a batched task's chunks away from the run's JVM. A chunk goes through two steps, as a local
 * chunk does: it computes (reads its rows from the store, calls the task) and says so with
 * {@link ChunkCallback#computed}; once its task grants it an upload slot ({@link ChunkCall#upload}), it
 * appends its rows to the output tables with the store's ledgered append and says so with
 * {@link ChunkCallback#uploaded}. Stored tables never pass through the placement: only these values.
 *
 * <p>Implementations are thread-safe; the engine calls them from its actors' threads, so no method
 * may block.
 */
public interface ChunkPlacement {

    /**
     * Checks, when a run starts, that its chunks can run away from it: e.g. an embedded database that
     * other processes cannot write is refused. Throws an exception whose message says why; the run then
     * fails before any stage begins. Called on the blocking dispatcher.
     *
     * @param flow      the flow's name
     * @param instance  the instance's name
     * @param storeKind the table store's kind ({@code duckdb}, {@code postgres}, ...)
     */
    void admit(String flow, String instance, String storeKind);

    /**
     * Chunks this placement can run at once now (e.g. the free and busy slots of its workers), at least
     * 1; a task then computes up to the larger of this and its hook's {@code computeParallelism}.
     */
    int capacity();

    /**
     * Starts computing a chunk; the callback hears how it goes, exactly once with
     * {@link ChunkCallback#failed} or once with {@link ChunkCallback#computed} and then once with
     * {@link ChunkCallback#uploaded} or {@link ChunkCallback#failed}, unless the call is cancelled.
     * A chunk that cannot be placed now waits for a free slot.
     */
    ChunkCall start(ChunkWork work, ChunkCallback callback);

    /**
     * Whether this placement carries a chunk's rows of its inlined inputs (Arrow tables held in the run's
     * memory, {@link ChunkWork.InputKind#INLINE}) to the node that runs it: then the run hands them to
     * {@link #start(ChunkWork, java.util.Map, ChunkCallback)}; else such chunks run in the run's JVM.
     * Default: false.
     */
    default boolean carriesInline() {
        return false;
    }

    /**
     * {@link #start(ChunkWork, ChunkCallback)} for a chunk with inlined inputs: {@code inline} holds the
     * chunk's own rows of each, by input name, and belongs to this placement from now on, which frees each
     * table once the chunk no longer needs it (sent, cancelled, failed, or on any exception here). The
     * default, for a placement that does not {@link #carriesInline carry} them, frees them and refuses.
     */
    default ChunkCall start(ChunkWork work, java.util.Map<String, dev.weir.engine.data.ArrowTable> inline,
                            ChunkCallback callback) {
        if (!inline.isEmpty()) {
            inline.values().forEach(dev.weir.engine.data.ArrowTable::close);
            throw new UnsupportedOperationException(getClass().getName() + " cannot carry the inlined inputs "
                    + inline.keySet() + " of " + work.describe());
        }
        return start(work, callback);
    }
}
