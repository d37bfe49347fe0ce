package dev.weir.engine.stream;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * How a streaming run ended (a failed run ends with a {@link StreamFailedException} instead).
 *
 * @param progress  the final snapshot
 * @param cancelled whether the consumer stopped reading before the source was exhausted
 */
public record StreamSummary(StreamProgress progress, boolean cancelled) {

    public StreamSummary {
        Objects.requireNonNull(progress, "progress is null");
    }

    /** Per task that skipped any, the ids of the batches it skipped, ascending. */
    public Map<String, List<Long>> skipped() {
        Map<String, List<Long>> skipped = new LinkedHashMap<>();
        progress.tasks().forEach((task, stats) -> {
            if (!stats.skipped().isEmpty()) {
                skipped.put(task, stats.skipped());
            }
        });
        return skipped;
    }

    /** The stats of {@code task}. */
    public TaskStats task(String task) {
        TaskStats stats = progress.tasks().get(task);
        if (stats == null) {
            throw new IllegalArgumentException("there is no task named '" + task + "' (tasks are "
                    + progress.tasks().keySet() + ")");
        }
        return stats;
    }

    public long sourceBatches() {
        return progress.sourceBatches();
    }

    /** The summary line the run logs at its end. */
    public String line() {
        return "streaming run " + (cancelled ? "cancelled" : "done") + ": " + progress.line();
    }
}
