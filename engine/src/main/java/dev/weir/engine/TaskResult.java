package dev.weir.engine;

import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * How one task ended in a run.
 *
 * @param stage    its stage
 * @param task     its name
 * @param state    the outcome
 * @param reason   why it ran or did not (e.g. {@code no-cache-entry}, {@code version-changed 1 -> 2},
 *                 {@code upstream-failed}), or null
 * @param seconds  wall time spent on it in this run
 * @param rows     rows written (or carried forward), -1 when unknown
 * @param attempts how many times it was tried
 * @param error    the failure, or null
 * @param chunks   for a batched task that ran to the end, the state of each chunk by chunk index; empty
 *                 otherwise
 * @param chunkNodes for a batched task that ran to the end, the node (its cluster address) of each chunk
 *                 that ran on another node, by chunk index; chunks run in this JVM are not in it
 */
public record TaskResult(String stage, String task, TaskState state, String reason, double seconds, long rows,
                         int attempts, String error, List<ChunkState> chunks, Map<Integer, String> chunkNodes) {

    public TaskResult {
        Objects.requireNonNull(stage, "stage is null");
        Objects.requireNonNull(task, "task is null");
        Objects.requireNonNull(state, "state is null");
        chunks = chunks == null ? List.of() : List.copyOf(chunks);
        chunkNodes = chunkNodes == null ? Map.of() : Collections.unmodifiableMap(new TreeMap<>(chunkNodes));
    }

    /** A task result whose chunks, if any, all ran in this JVM. */
    public TaskResult(String stage, String task, TaskState state, String reason, double seconds, long rows,
                      int attempts, String error, List<ChunkState> chunks) {
        this(stage, task, state, reason, seconds, rows, attempts, error, chunks, Map.of());
    }

    /** How many chunks ran on each node other than this JVM, by node, in node order. */
    public Map<String, Long> chunksByNode() {
        Map<String, Long> byNode = new TreeMap<>();
        chunkNodes.values().forEach(node -> byNode.merge(node, 1L, Long::sum));
        return Collections.unmodifiableMap(byNode);
    }

    /** A task result without chunks: every task that is not batched. */
    public TaskResult(String stage, String task, TaskState state, String reason, double seconds, long rows,
                      int attempts, String error) {
        this(stage, task, state, reason, seconds, rows, attempts, error, List.of());
    }

    /** How many chunks ended in {@code chunkState}. */
    public long chunkCount(ChunkState chunkState) {
        return chunks.stream().filter(c -> c == chunkState).count();
    }

    /** How a chunk of a batched task got its outputs. */
    public enum ChunkState {
        /** Its rows of the inputs were read and the task's function called. */
        COMPUTED,
        /** Loaded from its entry in the local table cache: its inputs' rows were unchanged. */
        CACHED
    }
}
