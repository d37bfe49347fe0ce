package dev.weir.engine.placement;

/** How a placed chunk attempt goes; called from any thread, never blocking. */
public interface ChunkCallback {

    void computed(ChunkComputed computed);

    void uploaded(ChunkUploaded uploaded);

    /**
     * @param duringUpload true when the chunk failed appending, false while computing (or being placed)
     */
    void failed(ChunkError error, boolean duringUpload);
}
