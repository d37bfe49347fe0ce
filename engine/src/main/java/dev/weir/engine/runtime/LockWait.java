package dev.weir.engine.runtime;

import java.time.Duration;

/**
 * A run's wait for its instance's lock: attempts on a timer, the waits between them doubling from
 * {@link #FIRST_POLL} up to {@link #MAX_POLL}, until {@code lock_timeout} has passed. Times are
 * {@link System#nanoTime()} values, passed in so that the rules can be tested without a clock.
 *
 * <p>An attempt made at or after the deadline is the last: when it finds the lock held, the run gives up and
 * names the holder the attempt saw. That decision belongs to the attempt, not to the arrival of its answer: an
 * attempt made just before the deadline whose answer arrives just after it is followed by one more attempt,
 * so that the run never gives up without having asked who holds the lock.
 */
final class LockWait {

    static final Duration FIRST_POLL = Duration.ofMillis(20);
    static final Duration MAX_POLL = Duration.ofMillis(250);

    private static final long MIN_DELAY = Duration.ofMillis(1).toNanos();

    private final long deadline;
    private Duration poll = Duration.ZERO;

    /** A wait starting at {@code now} that may last {@code timeout}. */
    LockWait(long now, Duration timeout) {
        this.deadline = now + timeout.toNanos();
    }

    /** Whether an attempt that found the lock held at {@code now} is the last one. */
    boolean isLast(long now) {
        return now - deadline >= 0;
    }

    /** Whether no attempt has been answered "held" yet, that is whether the run should now say it waits. */
    boolean firstWait() {
        return poll.isZero();
    }

    /**
     * After an attempt that was not the last found the lock held: the delay before the next attempt, at
     * {@code now}. Never past the deadline, so the last attempt is made as soon as the deadline passes; at
     * least a millisecond, as timers want.
     */
    Duration next(long now) {
        poll = poll.isZero() ? FIRST_POLL : poll.multipliedBy(2).compareTo(MAX_POLL) > 0 ? MAX_POLL : poll.multipliedBy(2);
        return Duration.ofNanos(Math.max(MIN_DELAY, Math.min(poll.toNanos(), deadline - now)));
    }
}
