package dev.weir.engine.stream;

import java.time.Duration;
import java.util.Map;
import java.util.Objects;

/**
 * How one streaming run is bounded: the top-level keys of a graph's configuration.
 *
 * @param maxBatches       how many batches to take from the source; 0 = until it is exhausted (or forever)
 * @param maxInFlight      how many source batches may be in the run at once (queued, running, waiting
 *                         for a join or for the consumer); a new batch is pulled only below this, which
 *                         bounds memory
 * @param parallelism      how many task calls run at once across all tasks
 * @param budget           per resource name, the most that running task calls may use together
 * @param progressInterval how often a progress listener hears from the run
 * @param callTimeout      how long one task call, or one pull from the source, may take before the run
 *                         fails naming it (a task's own {@code timeout} overrides it for that task); the
 *                         call's thread is interrupted and the run ends without waiting for it
 */
public record RunSettings(long maxBatches, int maxInFlight, int parallelism, Map<String, Double> budget,
                          Duration progressInterval, Duration callTimeout) {

    /** The bound on a call when none is configured: as long as a chunk of a batched task may take. */
    public static final Duration DEFAULT_CALL_TIMEOUT = Duration.ofMinutes(30);

    public static final RunSettings DEFAULTS = new RunSettings(0, 8,
            Math.max(2, Runtime.getRuntime().availableProcessors()), Map.of(), Duration.ofSeconds(1),
            DEFAULT_CALL_TIMEOUT);

    /** Settings whose calls may take {@link #DEFAULT_CALL_TIMEOUT}. */
    public RunSettings(long maxBatches, int maxInFlight, int parallelism, Map<String, Double> budget,
                       Duration progressInterval) {
        this(maxBatches, maxInFlight, parallelism, budget, progressInterval, DEFAULT_CALL_TIMEOUT);
    }

    public RunSettings {
        if (maxBatches < 0) {
            throw new IllegalArgumentException("max-batches cannot be negative, was " + maxBatches);
        }
        if (maxInFlight < 1) {
            throw new IllegalArgumentException("max-in-flight must be at least 1, was " + maxInFlight);
        }
        if (parallelism < 1) {
            throw new IllegalArgumentException("parallelism must be at least 1, was " + parallelism);
        }
        budget = Map.copyOf(Objects.requireNonNull(budget, "budget is null"));
        budget.forEach((name, amount) -> {
            if (!(amount > 0)) {
                throw new IllegalArgumentException("budget." + name + " must be positive, was " + amount);
            }
        });
        Objects.requireNonNull(progressInterval, "progressInterval is null");
        if (progressInterval.isNegative() || progressInterval.isZero()) {
            throw new IllegalArgumentException("progress-interval must be positive, was " + progressInterval);
        }
        Objects.requireNonNull(callTimeout, "callTimeout is null");
        if (callTimeout.isNegative() || callTimeout.isZero()) {
            throw new IllegalArgumentException("call-timeout must be positive, was " + callTimeout);
        }
    }
}
