package dev.weir.examples.cli;

import dev.weir.engine.RunEvent;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Which node ran how many chunks of each batched task, counted from the run's
 * {@link RunEvent.ChunkFinished} events, for the progress display: {@code (coordinator 4, 10.0.0.5:25521 10)}.
 * The run's own JVM is the {@code coordinator}; other nodes are named by host and port. A task whose chunks
 * all ran in the run's JVM (every run without {@code --cluster}) shows nothing. Used on the listener thread
 * only.
 */
final class ChunkNodes {

    /** How the run's own JVM is named beside the worker nodes. */
    static final String COORDINATOR = "coordinator";

    /** By "stage/task": chunks by node label, the coordinator first, then nodes in the order they ran one. */
    private final Map<String, Map<String, Integer>> byTask = new HashMap<>();

    /** Counts the event's chunk for its node. */
    void count(RunEvent.ChunkFinished e) {
        Map<String, Integer> nodes = byTask.computeIfAbsent(e.stage() + "/" + e.task(), key -> {
            Map<String, Integer> fresh = new LinkedHashMap<>();
            fresh.put(COORDINATOR, 0);
            return fresh;
        });
        nodes.merge(e.node() == null ? COORDINATOR : label(e.node()), 1, Integer::sum);
    }

    /**
     * {@code (coordinator 4, 10.0.0.5:25521 10)} for a task of which a chunk ran on another node, else the
     * empty string.
     */
    String of(String stage, String task) {
        Map<String, Integer> nodes = byTask.get(stage + "/" + task);
        if (nodes == null || nodes.size() == 1) {
            return ""; // only the coordinator: a run without workers
        }
        StringBuilder text = new StringBuilder("(");
        nodes.forEach((node, chunks) -> {
            if (chunks > 0) {
                text.append(text.length() == 1 ? "" : ", ").append(node).append(' ').append(chunks);
            }
        });
        return text.append(')').toString();
    }

    /** Forgets a task (it finished; a retry of it counts afresh). */
    void forget(String stage, String task) {
        byTask.remove(stage + "/" + task);
    }

    /** {@code 10.0.0.5:25521} for {@code pekko://weir@10.0.0.5:25521}; any other text as it is. */
    static String label(String address) {
        int at = address.indexOf('@');
        return address.startsWith("pekko://") && at > 0 ? address.substring(at + 1) : address;
    }
}
