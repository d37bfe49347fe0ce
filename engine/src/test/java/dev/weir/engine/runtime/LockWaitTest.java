package dev.weir.engine.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The rules of a run's wait for its instance lock, on a clock the test moves. */
class LockWaitTest {

    private static final long MS = 1_000_000;

    @Test
    void attemptsBackOffFromTwentyMillisecondsToAQuarterOfASecondAndNeverPassTheDeadline() {
        LockWait wait = new LockWait(0, Duration.ofSeconds(1));
        List<Long> delays = new ArrayList<>();
        long now = 0;
        assertTrue(wait.firstWait());
        while (!wait.isLast(now)) {
            Duration next = wait.next(now);
            assertFalse(wait.firstWait());
            delays.add(next.toMillis());
            now += next.toNanos();
        }
        assertEquals(List.of(20L, 40L, 80L, 160L, 250L, 250L, 200L), delays);
        assertEquals(1000 * MS, now, "the last attempt is made when the deadline has passed, not later");
    }

    @Test
    void anAttemptMadeBeforeTheDeadlineIsNotTheLastEvenWhenItsAnswerArrivesAfterIt() {
        LockWait wait = new LockWait(0, Duration.ofMillis(100));
        long attempted = 100 * MS - 1;
        long answered = 100 * MS + 5 * MS;
        assertFalse(wait.isLast(attempted), "the attempt saw the lock held before the deadline");
        Duration next = wait.next(answered);
        assertEquals(Duration.ofMillis(1), next, "one more attempt, at once: that one names the holder");
        assertTrue(wait.isLast(answered + next.toNanos()));
    }

    @Test
    void aZeroTimeoutMakesTheFirstAttemptTheLast() {
        assertTrue(new LockWait(42, Duration.ZERO).isLast(42));
    }

    @Test
    void theClockMayStartAnywhere() {
        long start = Long.MAX_VALUE - 10 * MS;
        LockWait wait = new LockWait(start, Duration.ofMillis(50));
        assertFalse(wait.isLast(start + 49 * MS));
        assertTrue(wait.isLast(start + 50 * MS), "nanoTime values are compared by difference, across overflow");
    }
}
