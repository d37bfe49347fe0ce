package dev.weir.cluster;

import java.util.List;
import java.util.Objects;

/**
 * A worker node's answer to {@link Worker.Status}: its slots and the chunk attempts it holds now, and the
 * streaming calls its {@link BatchWorker} runs (its answer to {@link BatchWorker.Status}, {@link Calls}, which
 * {@link ClusterObserver} puts together with the node's). A chunk holds a slot from the moment the worker is handed it until
 * it is appended, fails or is dropped, so {@code freeSlots} is {@code slots} less the chunks listed (never
 * below 0: two coordinators may each fill the slots).
 *
 * @param node      the worker's cluster address, {@code pekko://SYSTEM@HOST:PORT}
 * @param slots     the chunks it runs at once (on a node that runs streaming calls only: the calls)
 * @param freeSlots its slots not held by a chunk now (on a node that runs streaming calls only: by a call)
 * @param draining  true when it is leaving: it takes no new chunks or calls and finishes those listed
 * @param chunks    the chunk attempts it holds, oldest first
 * @param calls     the attempts of streaming calls it runs, oldest first
 */
public record WorkerStatus(String node, int slots, int freeSlots, boolean draining, List<ChunkInFlight> chunks,
                           List<CallInFlight> calls) implements ClusterMessage {

    public WorkerStatus {
        Objects.requireNonNull(node, "node is null");
        chunks = List.copyOf(chunks);
        calls = List.copyOf(calls);
    }

    /** This status with the streaming calls of the same node's batch worker; leaving when either is. */
    public WorkerStatus with(Calls batchWorker) {
        return new WorkerStatus(node, slots, freeSlots, draining || batchWorker.draining(), chunks, batchWorker.calls());
    }

    /**
     * A batch worker's answer to {@link BatchWorker.Status}: its slots and the streaming calls it runs now.
     *
     * @param node      the worker's cluster address
     * @param slots     the calls it runs at once
     * @param freeSlots its slots not held by a call now
     * @param draining  true when it is leaving: it takes no new calls and finishes those listed
     * @param calls     the attempts it runs, oldest first
     */
    public record Calls(String node, int slots, int freeSlots, boolean draining, List<CallInFlight> calls)
            implements ClusterMessage {
        public Calls {
            Objects.requireNonNull(node, "node is null");
            calls = List.copyOf(calls);
        }

        /** The status of a node whose only worker is this batch worker: its slots are the calls'. */
        public WorkerStatus alone() {
            return new WorkerStatus(node, slots, freeSlots, draining, List.of(), calls);
        }
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
     * One attempt of a streaming call a worker runs now, named by ids.
     *
     * @param call    the call's id at its coordinator
     * @param attempt the attempt's number, from 1
     * @param flow    the flow whose code defines the graph
     * @param graph   the streaming graph's name in the flow
     * @param tasks   the tasks the call runs, in order (the call's own, then those fused after it)
     * @param batchId the source batch
     * @param millis  how long ago the worker was handed it
     */
    public record CallInFlight(String call, int attempt, String flow, String graph, List<String> tasks, long batchId,
                               long millis) {
        public CallInFlight {
            Objects.requireNonNull(call, "call is null");
            Objects.requireNonNull(flow, "flow is null");
            Objects.requireNonNull(graph, "graph is null");
            tasks = List.copyOf(tasks);
        }
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
