package dev.weir.engine.stream;

import java.time.Duration;
import java.util.Map;
import java.util.Objects;

/**
 * One task's configuration, under {@code tasks.<name>} in the configuration.
 *
 * @param maxRows     split every input batch into parts of at most this many rows before the task;
 *                    0 = never split
 * @param parallelism how many batches of this task run at once
 * @param resources   what one call of the task uses (free-form names, e.g. {@code memory-mb}), checked
 *                    against the run's {@code budget}
 * @param onError     fail the run or skip the batch when the task throws
 * @param timeout     how long one call of the task may take before the run fails; null = the run's
 *                    {@code call-timeout}
 */
public record TaskSettings(int maxRows, int parallelism, Map<String, Double> resources, OnError onError,
                           Duration timeout) {

    /** The defaults: no splitting, parallelism bounded only by the run's, no resources, fail, the run's timeout. */
    public static final TaskSettings DEFAULTS = new TaskSettings(0, Integer.MAX_VALUE, Map.of(), OnError.FAIL, null);

    /** Settings whose calls have the run's {@code call-timeout}. */
    public TaskSettings(int maxRows, int parallelism, Map<String, Double> resources, OnError onError) {
        this(maxRows, parallelism, resources, onError, null);
    }

    public TaskSettings {
        if (maxRows < 0) {
            throw new IllegalArgumentException("max-rows cannot be negative, was " + maxRows);
        }
        if (parallelism < 1) {
            throw new IllegalArgumentException("parallelism must be at least 1, was " + parallelism);
        }
        resources = Map.copyOf(Objects.requireNonNull(resources, "resources is null"));
        resources.forEach((name, amount) -> {
            if (!(amount > 0)) {
                throw new IllegalArgumentException("resources." + name + " must be positive, was " + amount);
            }
        });
        Objects.requireNonNull(onError, "onError is null");
        if (timeout != null && (timeout.isNegative() || timeout.isZero())) {
            throw new IllegalArgumentException("timeout must be positive, was " + timeout);
        }
    }

    /** This task's bound on one call: its own {@code timeout}, else the run's. */
    Duration timeoutIn(RunSettings run) {
        return timeout != null ? timeout : run.callTimeout();
    }
}
