package dev.weir.engine.stream;

import java.time.Duration;
import java.util.concurrent.TimeoutException;

/**
 * How long each call of a run may take: a task's own {@code timeout}, else the run's {@code call-timeout},
 * which also bounds every trip to the source. Immutable.
 */
final class CallTimeouts {

    private final StreamGraph graph;
    private final RunSettings run;

    CallTimeouts(StreamGraph graph) {
        this.graph = graph;
        this.run = graph.runSettings();
    }

    /** The bound on one call of {@code task} (or on one trip to {@link StreamGraph#SOURCE}), in nanoseconds. */
    long boundNanos(String task) {
        return bound(task).toNanos();
    }

    /** Often enough to notice the shortest timeout within a quarter of it; between 10 ms and 1 s. */
    Duration watchInterval() {
        Duration shortest = run.callTimeout();
        for (String task : graph.tasks()) {
            Duration bound = bound(task);
            if (bound.compareTo(shortest) < 0) {
                shortest = bound;
            }
        }
        return Duration.ofMillis(Math.max(10, Math.min(1_000, shortest.toMillis() / 4)));
    }

    /** The cause a run fails with when a call of {@code task} (or a trip to the source) ran past its bound. */
    TimeoutException exceeded(String task) {
        boolean source = StreamGraph.SOURCE.equals(task);
        boolean own = !source && graph.settings(task).timeout() != null;
        String setting = own ? "tasks." + task + ".timeout" : "call-timeout";
        return new TimeoutException("ran longer than its timeout of " + dev.weir.engine.config.Durations.human(bound(task)) + " (" + setting + "); "
                + (source ? "" : "its thread was interrupted and ") + "the run ended without waiting for it");
    }

    private Duration bound(String task) {
        return StreamGraph.SOURCE.equals(task) ? run.callTimeout() : graph.settings(task).timeoutIn(run);
    }
}
