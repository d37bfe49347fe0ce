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
 */
public record RunSettings(long maxBatches, int maxInFlight, int parallelism, Map<String, Double> budget,
                          Duration progressInterval) {

    public static final RunSettings DEFAULTS = new RunSettings(0, 8,
            Math.max(2, Runtime.getRuntime().availableProcessors()), Map.of(), Duration.ofSeconds(1));

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
    }
}
