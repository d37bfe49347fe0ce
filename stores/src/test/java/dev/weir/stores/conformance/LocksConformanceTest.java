package dev.weir.stores.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.weir.engine.store.LockManager;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The store's named locks: a second acquirer waits, says once that it waits and times out naming the
 * lock and its holder, or gets the lock when it is released; {@code tryAcquire} never waits; a closed lock
 * is no longer held; different names never block each other.
 */
public abstract class LocksConformanceTest extends TableStoreFixture {

    @Test
    void aSecondAcquirerWaitsThenTimesOutSayingWhatWasLocked() throws Exception {
        LockManager locks = store.locks();
        try (LockManager.Lock held = locks.acquire("main", Duration.ofSeconds(5), message -> { })) {
            List<String> waits = new ArrayList<>();
            LockManager.LockTimeoutException timeout = CompletableFuture.supplyAsync(() -> assertThrows(
                    LockManager.LockTimeoutException.class,
                    () -> locks.acquire("main", Duration.ofMillis(300), waits::add))).get(10, TimeUnit.SECONDS);
            assertEquals(1, waits.size(), "onWait is called once: " + waits);
            assertTrue(waits.get(0).contains("main"), waits.get(0));
            assertTrue(timeout.getMessage().contains("'main'"), timeout.getMessage());
            assertTrue(timeout.getMessage().contains("PT0.3S"), timeout.getMessage());
            assertTrue(timeout.getMessage().contains("(held by "), "names the holder: " + timeout.getMessage());
        }
        try (LockManager.Lock again = CompletableFuture.supplyAsync(() -> acquireQuietly(locks, "main"))
                .get(10, TimeUnit.SECONDS)) {
            again.close();
            again.close();
        }
    }

    @Test
    void aWaitingAcquirerGetsTheLockWhenReleased() throws Exception {
        LockManager locks = store.locks();
        LockManager.Lock held = locks.acquire("main", Duration.ofSeconds(5), message -> { });
        List<String> waits = new java.util.concurrent.CopyOnWriteArrayList<>();
        CompletableFuture<LockManager.Lock> waiter = CompletableFuture.supplyAsync(() -> {
            try {
                return locks.acquire("main", Duration.ofSeconds(10), waits::add);
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
        });
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (waits.isEmpty() && System.nanoTime() < deadline) {
            Thread.sleep(5); // until the waiter has found the lock taken and says it waits
        }
        assertEquals(1, waits.size(), "the second acquirer waits");
        assertFalse(waiter.isDone());
        held.close();
        try (LockManager.Lock acquired = waiter.get(10, TimeUnit.SECONDS)) {
            assertEquals(1, waits.size());
        }
    }

    @Test
    void tryAcquireTakesAFreeLockAndReturnsAtOnceWhenItIsHeld() throws Exception {
        LockManager locks = store.locks();
        LockManager.Lock held = locks.tryAcquire("main").orElseThrow(() -> new AssertionError("the lock was free"));
        long start = System.nanoTime();
        java.util.Optional<LockManager.Lock> second = CompletableFuture.supplyAsync(() -> locks.tryAcquire("main"))
                .get(10, TimeUnit.SECONDS);
        assertTrue(second.isEmpty(), "a held lock is not taken twice");
        assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(2), "tryAcquire does not wait");
        assertTrue(locks.describe("main").contains("main"), locks.describe("main"));
        held.close();
        try (LockManager.Lock again = CompletableFuture.supplyAsync(() -> locks.tryAcquire("main"))
                .get(10, TimeUnit.SECONDS).orElseThrow(() -> new AssertionError("the released lock is free"))) {
            assertNotEquals(held, again);
        }
    }

    @Test
    void aLockIsHeldUntilItIsClosed() throws Exception {
        LockManager.Lock lock = store.locks().acquire("held", Duration.ofSeconds(1), message -> { });
        assertTrue(lock.isHeld());
        lock.verify();
        lock.close();
        assertFalse(lock.isHeld());
        assertThrows(LockManager.LockLostException.class, lock::verify);
    }

    @Test
    void differentLockNamesDoNotBlockEachOther() throws Exception {
        LockManager locks = store.locks();
        try (LockManager.Lock a = locks.acquire("main/raw", Duration.ofSeconds(1), m -> { });
             LockManager.Lock b = locks.acquire("main/clean", Duration.ofSeconds(1), m -> { })) {
            assertNotEquals(a, b);
        }
    }

    private static LockManager.Lock acquireQuietly(LockManager locks, String name) {
        try {
            return locks.acquire(name, Duration.ofSeconds(1), message -> {
                throw new AssertionError("should not wait: " + message);
            });
        } catch (InterruptedException e) {
            throw new IllegalStateException(e);
        }
    }
}
