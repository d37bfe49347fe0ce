package dev.weir.engine.placement;

/**
 * One placed chunk attempt, as its task steers it. Thread-safe; no method blocks. Within {@link #cancel}
 * and {@link #interrupt} the placement frees what the attempt holds of the run's Arrow memory (the rows
 * of its inlined inputs), or has already moved it to an owner of its own: the run closes its allocators as
 * soon as the attempt has ended, without waiting for the placement.
 */
public interface ChunkCall {

    /** The task grants the computed chunk an upload slot: append it. */
    void upload();

    /** The task no longer wants the chunk (it failed elsewhere): free its data, report nothing more. */
    void cancel();

    /** The task timed out, failed or was cancelled while the chunk works: interrupt it, report nothing more. */
    void interrupt(String reason);
}
