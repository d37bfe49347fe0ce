package dev.weir.cluster;

import java.util.List;
import java.util.Objects;

/**
 * A worker's answer to {@link Worker.Status}: its slots and the chunk attempts it holds now. A chunk holds
 * a slot from the moment the worker is handed it until it is appended, fails or is dropped, so
 * {@code freeSlots} is {@code slots} less the chunks listed (never below 0: two coordinators may each fill
 * the slots).
 *
 * @param node      the worker's cluster address, {@code pekko://SYSTEM@HOST:PORT}
 * @param slots     the chunks it runs at once
 * @param freeSlots its slots not held by a chunk now
 * @param draining  true when it is leaving: it takes no new chunks and finishes those listed
 * @param chunks    the chunk attempts it holds, oldest first
 */
public record WorkerStatus(String node, int slots, int freeSlots, boolean draining, List<ChunkInFlight> chunks)
        implements ClusterMessage {

    public WorkerStatus {
        Objects.requireNonNull(node, "node is null");
        chunks = List.copyOf(chunks);
    }

    /** What a chunk attempt on a worker is doing. */
    public enum Phase {
        /** Reading its rows and running the task's code. */
        COMPUTING,
        /** Computed; its output waits in the worker's memory until its coordinator lets it append. */
        COMPUTED,
        /** Appending its output to the store with the ledgered COPY. */
        APPENDING
    }

    /**
     * One chunk attempt a worker holds, named by ids.
     *
     * @param runId   the run's id
     * @param flow    the flow's name
     * @param stage   the task's stage
     * @param task    the task's name
     * @param chunk   the chunk's index
     * @param attempt the attempt's number, from 1
     * @param phase   what it is doing
     * @param millis  how long ago the worker was handed it
     */
    public record ChunkInFlight(String runId, String flow, String stage, String task, int chunk, int attempt,
                                Phase phase, long millis) {
        public ChunkInFlight {
            Objects.requireNonNull(runId, "runId is null");
            Objects.requireNonNull(flow, "flow is null");
            Objects.requireNonNull(stage, "stage is null");
            Objects.requireNonNull(task, "task is null");
            Objects.requireNonNull(phase, "phase is null");
        }
    }
}
