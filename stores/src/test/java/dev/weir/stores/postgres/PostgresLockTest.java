package dev.weir.stores.postgres;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.weir.engine.store.LockManager;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** Advisory locks serialize runs across stores that do not share a connection (as two processes would). */
@ExtendWith(PostgresTestServer.Required.class)
class PostgresLockTest {

    private static PostgresTestServer server;
    private static PostgresTableStore first;
    private static PostgresTableStore second;

    @BeforeAll
    static void openStores() {
        server = PostgresTestServer.require();
        first = server.open("locks");
        second = server.open("locks");
    }

    @AfterAll
    static void closeStores() throws Exception {
        if (first != null) {
            first.close();
            second.close();
            server.dropAll();
        }
    }

    private String name(String what) {
        return server.prefix() + what;
    }

    @Test
    void aTakenLockTimesOutElsewhereNamingTheLockAndTheWait() throws Exception {
        List<String> waits = new CopyOnWriteArrayList<>();
        try (LockManager.Lock held = first.locks().acquire(name("timeout"), Duration.ofSeconds(1), waits::add)) {
            assertEquals(List.of(), waits, "a free lock is taken without waiting");
            LockManager.LockTimeoutException e = assertThrows(LockManager.LockTimeoutException.class,
                    () -> second.locks().acquire(name("timeout"), Duration.ofMillis(300), waits::add));
            assertTrue(e.getMessage().contains(name("timeout")), e.getMessage());
            assertTrue(e.getMessage().matches("(?s).*taken by another run for \\d+ ms.*"), e.getMessage());
            assertEquals(1, waits.size(), "onWait is called once: " + waits);
        }
        try (LockManager.Lock again = second.locks().acquire(name("timeout"), Duration.ofMillis(300), waits::add)) {
            assertEquals(1, waits.size(), "released: taken at once");
        }
    }

    @Test
    void aWaiterGetsTheLockWhenItIsReleased() throws Exception {
        LockManager.Lock held = first.locks().acquire(name("handover"), Duration.ofSeconds(1), w -> { });
        AtomicInteger waitCalls = new AtomicInteger();
        CompletableFuture<Long> waiter = CompletableFuture.supplyAsync(() -> {
            long start = System.nanoTime();
            try (LockManager.Lock lock = second.locks().acquire(name("handover"), Duration.ofSeconds(10),
                    w -> waitCalls.incrementAndGet())) {
                return (System.nanoTime() - start) / 1_000_000;
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
        });
        Thread.sleep(300);
        held.close();
        held.close(); // closing twice is harmless
        long waitedMillis = waiter.get();
        assertTrue(waitedMillis >= 250, "waited " + waitedMillis + " ms");
        assertEquals(1, waitCalls.get());
    }

    @Test
    void runsOnTwoStoresAreSerialized() {
        AtomicInteger inside = new AtomicInteger();
        AtomicInteger overlaps = new AtomicInteger();
        List<CompletableFuture<Void>> runs = new ArrayList<>();
        for (PostgresTableStore store : List.of(first, second, first, second)) {
            runs.add(CompletableFuture.runAsync(() -> {
                for (int i = 0; i < 5; i++) {
                    try (LockManager.Lock lock = store.locks().acquire(name("serial"), Duration.ofSeconds(30), w -> { })) {
                        if (inside.incrementAndGet() > 1) {
                            overlaps.incrementAndGet();
                        }
                        Thread.sleep(5);
                        inside.decrementAndGet();
                    } catch (InterruptedException e) {
                        throw new IllegalStateException(e);
                    }
                }
            }));
        }
        runs.forEach(CompletableFuture::join);
        assertEquals(0, overlaps.get());
    }

    @Test
    void differentNamesDoNotBlockEachOther() throws Exception {
        try (LockManager.Lock a = first.locks().acquire(name("a"), Duration.ofSeconds(1), w -> { });
             LockManager.Lock b = second.locks().acquire(name("b"), Duration.ofMillis(100), w -> { })) {
            assertNotEquals(PgAdvisoryLocks.key(name("a")), PgAdvisoryLocks.key(name("b")));
        }
        assertEquals(PgAdvisoryLocks.key("mini"), PgAdvisoryLocks.key("mini"), "keys are stable");
    }
}
