package dev.weir.engine.stream;

import java.time.Duration;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * A snapshot of a streaming run, sent to its progress listener every {@code progress-interval} and
 * once at the end.
 *
 * @param sourceBatches       batches taken from the source so far
 * @param sourceRows          rows in them
 * @param tasks               per task, in definition order
 * @param batchesInFlight     source batches in the run now
 * @param peakBatchesInFlight the most there have been at once (never above {@code max-in-flight})
 * @param peakRunning         the most task calls that ran at once (never above {@code parallelism})
 */
public record StreamProgress(Duration elapsed, long sourceBatches, long sourceRows, Map<String, TaskStats> tasks,
                             int batchesInFlight, int peakBatchesInFlight, int peakRunning) {

    public StreamProgress {
        tasks = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(tasks));
    }

    /** Source rows per second since the run started. */
    public double rowsPerSecond() {
        double seconds = elapsed.toNanos() / 1e9;
        return seconds > 0 ? sourceRows / seconds : 0;
    }

    /** One line: batches and rows per task, rows/s. */
    public String line() {
        String perTask = tasks.values().stream()
                .map(t -> t.task() + " " + t.batches() + (t.skipped().isEmpty() ? "" : " (" + t.skipped().size() + " skipped)"))
                .collect(Collectors.joining(", "));
        return String.format("%d source batches, %d rows in %.1fs (%.0f rows/s); batches done: %s",
                sourceBatches, sourceRows, elapsed.toNanos() / 1e9, rowsPerSecond(), perTask);
    }
}
