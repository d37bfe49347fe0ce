package dev.weir.engine.store;

import java.time.Duration;
import java.time.Instant;
import java.util.Locale;
import java.util.Objects;

/**
 * One finished run of a flow on an instance, as the table store's metadata keeps it
 * ({@link TableStore#recordRun}) for {@code weir status}.
 *
 * @param runId     the run's id
 * @param flow      the flow's name
 * @param startedAt when the run was submitted
 * @param duration  how long it took, from submission to its end
 * @param outcome   how it ended
 * @param ran       tasks that ran (their code was called)
 * @param cacheHits tasks whose committed output was valid
 * @param failed    tasks that failed
 * @param skipped   tasks that did not run: not selected, or after a failure
 */
public record RunRecord(String runId, String flow, Instant startedAt, Duration duration, Outcome outcome, int ran,
                        int cacheHits, int failed, int skipped) {

    /** How many runs a store keeps per instance; recording one more forgets the oldest. */
    public static final int KEPT_PER_INSTANCE = 100;

    /** How a run ended. */
    public enum Outcome {
        SUCCEEDED, FAILED, CANCELLED;

        /** The lower-case name stores keep and {@code weir status} prints. */
        public String label() {
            return name().toLowerCase(Locale.ROOT);
        }

        /** The outcome of {@link #label()}. */
        public static Outcome ofLabel(String label) {
            return valueOf(label.toUpperCase(Locale.ROOT));
        }
    }

    public RunRecord {
        Objects.requireNonNull(runId, "runId is null");
        Objects.requireNonNull(flow, "flow is null");
        Objects.requireNonNull(startedAt, "startedAt is null");
        Objects.requireNonNull(duration, "duration is null");
        Objects.requireNonNull(outcome, "outcome is null");
        if (duration.isNegative() || ran < 0 || cacheHits < 0 || failed < 0 || skipped < 0) {
            throw new IllegalArgumentException("a run's duration and counts cannot be negative: " + duration + ", "
                    + ran + " ran, " + cacheHits + " cache hits, " + failed + " failed, " + skipped + " skipped");
        }
    }
}
