package dev.weir.stores.postgres;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.weir.engine.store.LockManager;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
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
            assertTrue(e.getMessage().matches("(?s).*taken by another run \\(held by session \\d+ of user \\S+,"
                    + " application 'weir [^']*'[^)]*\\) for \\d+ ms.*"), e.getMessage());
            assertEquals(1, waits.size(), "onWait is called once: " + waits);
        }
        try (LockManager.Lock again = second.locks().acquire(name("timeout"), Duration.ofMillis(300), waits::add)) {
            assertEquals(1, waits.size(), "released: taken at once");
        }
    }

    @Test
    void aWaiterGetsTheLockWhenItIsReleased() throws Exception {
        LockManager.Lock held = first.locks().acquire(name("handover"), Duration.ofSeconds(1), w -> { });
        CountDownLatch waiting = new CountDownLatch(1);
        AtomicBoolean released = new AtomicBoolean();
        CompletableFuture<Boolean> waiter = CompletableFuture.supplyAsync(() -> {
            try (LockManager.Lock lock = second.locks().acquire(name("handover"), Duration.ofSeconds(10),
                    w -> waiting.countDown())) {
                return released.get();
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
        });
        assertTrue(waiting.await(10, TimeUnit.SECONDS), "the second store waits for the lock");
        assertFalse(waiter.isDone());
        released.set(true);
        held.close();
        held.close(); // closing twice is harmless
        assertTrue(waiter.get(10, TimeUnit.SECONDS), "the waiter got the lock only after it was released");
    }

    @Test
    void aLockWhoseSessionEndsIsTakenAgainWhenNoOtherRunHeldItMeanwhile() throws Exception {
        try (LockManager.Lock held = first.locks().acquire(name("retaken"), Duration.ofSeconds(1), w -> { })) {
            long before = holderOf(PgAdvisoryLocks.key(name("retaken")));

            assertEquals(1, terminateHolderOf(PgAdvisoryLocks.key(name("retaken"))));

            assertTrue(held.isHeld(), "taken again on a new session");
            held.verify();
            long after = holderOf(PgAdvisoryLocks.key(name("retaken")));
            assertTrue(after != 0 && after != before, "held by a new session: " + before + " -> " + after);
            assertTrue(second.locks().tryAcquire(name("retaken")).isEmpty(), "and still held against others");
        }
        assertEquals(0, holderOf(PgAdvisoryLocks.key(name("retaken"))), "released on close");
    }

    @Test
    void aLockWhoseSessionEndedWithTheIdleSessionsOfItsPoolIsTakenAgainOnALiveOne() throws Exception {
        // pg_terminate_backend of every session of the database ends the pool's idle sessions too, and the
        // pool hands out a session used in the last 500 ms without checking it
        String lockName = name("retaken-dead-pool");
        try (PostgresTableStore store = server.open("locks_dead_pool");
             LockManager.Lock held = store.locks().acquire(lockName, Duration.ofSeconds(1), w -> { });
             Connection admin = server.connection()) {
            long before = holderOf(PgAdvisoryLocks.key(lockName));
            store.locks().holder(lockName); // a pooled session, just used, back in the pool
            try (PreparedStatement s = admin.prepareStatement("SELECT count(pg_terminate_backend(pid, 5000))"
                    + " FROM pg_stat_activity WHERE application_name = 'weir locks_dead_pool'")) {
                try (ResultSet rs = s.executeQuery()) {
                    rs.next();
                    assertTrue(rs.getInt(1) >= 2, "the lock's session and an idle one ended: " + rs.getInt(1));
                }
            }

            assertTrue(held.isHeld(), "taken again on a live session");
            long after = holderOf(PgAdvisoryLocks.key(lockName));
            assertTrue(after != 0 && after != before, "held by a new session: " + before + " -> " + after);
        }
        assertEquals(0, holderOf(PgAdvisoryLocks.key(name("retaken-dead-pool"))), "released on close");
    }

    @Test
    void aLockWhoseSessionEndsIsLostForGoodWhenAnotherRunTookItMeanwhile() throws Exception {
        LockManager.Lock held = first.locks().acquire(name("lost"), Duration.ofSeconds(1), w -> { });
        assertEquals(1, terminateHolderOf(PgAdvisoryLocks.key(name("lost"))));
        try (LockManager.Lock taken = second.locks().acquire(name("lost"), Duration.ofSeconds(1), w -> { })) {
            assertTrue(taken.isHeld());
            assertFalse(held.isHeld(), "the other run holds it");
        }

        assertFalse(held.isHeld(), "free again, but another run held it in between: its data may have changed");
        LockManager.LockLostException e = assertThrows(LockManager.LockLostException.class, held::verify);
        assertTrue(e.getMessage().contains(name("lost")), e.getMessage());
        held.close(); // harmless: the session is gone already
        try (LockManager.Lock again = second.locks().acquire(name("lost"), Duration.ofSeconds(1), w -> { })) {
            assertTrue(again.isHeld(), "the lost lock was not taken again behind the other run's back");
        }
    }

    @Test
    void theKeepaliveKeepsAnIdleLockSessionFromTheServersIdleTimeout() throws Exception {
        assertTrue(lockSessionSurvivesIdleTimeout("200ms"), "a keepalive every 200 ms keeps the session busy");
        assertFalse(lockSessionSurvivesIdleTimeout("1h"), "without a keepalive the server ends the idle session");
    }

    /**
     * Holds a lock on a store whose sessions the server ends after 1 s idle, for 3 s; true when the
     * session that took it still holds it.
     */
    private static boolean lockSessionSurvivesIdleTimeout(String keepalive) throws Exception {
        Map<String, String> env = server.env();
        String url = "jdbc:postgresql://" + env.getOrDefault("PGHOST", "localhost") + ":" + env.getOrDefault("PGPORT", "5432")
                + "/" + env.getOrDefault("PGDATABASE", env.get("PGUSER")) + "?options=-c%20idle_session_timeout%3D1000";
        String lockName = server.prefix() + "idle-" + keepalive;
        try (PostgresTableStore store = PostgresTableStore.open(server.settings("locks_idle",
                Map.of("url", url, "lock_keepalive", keepalive)), env);
             LockManager.Lock lock = store.locks().acquire(lockName, Duration.ofSeconds(1), w -> { })) {
            long session = holderOf(PgAdvisoryLocks.key(lockName));
            Thread.sleep(3_000);
            return holderOf(PgAdvisoryLocks.key(lockName)) == session;
        }
    }

    /** The backend pid holding the advisory lock {@code key}, or 0. */
    private static long holderOf(long key) throws SQLException {
        try (Connection c = server.connection(); PreparedStatement s = c.prepareStatement(
                "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted"
                        + " AND objsubid = 1 AND ((classid::bigint << 32) | objid::bigint) = ?")) {
            s.setLong(1, key);
            try (ResultSet rs = s.executeQuery()) {
                return rs.next() ? rs.getLong(1) : 0;
            }
        }
    }

    /** Ends the session holding the advisory lock {@code key}, waiting until it is gone. */
    private static int terminateHolderOf(long key) throws SQLException {
        try (Connection c = server.connection(); PreparedStatement s = c.prepareStatement(
                "SELECT pg_terminate_backend(pid, 5000) FROM pg_locks WHERE locktype = 'advisory' AND granted"
                        + " AND objsubid = 1 AND ((classid::bigint << 32) | objid::bigint) = ?")) {
            s.setLong(1, key);
            int ended = 0;
            try (ResultSet rs = s.executeQuery()) {
                while (rs.next()) {
                    ended += rs.getBoolean(1) ? 1 : 0;
                }
            }
            return ended;
        }
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
