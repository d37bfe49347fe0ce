package dev.weir.stores.duckdb;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.weir.engine.store.LockManager;
import dev.weir.engine.store.TableStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The operating system's file locks belong to the process, and closing any descriptor of a locked file ends every
 * lock the process holds on it. So a process must never open a lock file it holds just to read who holds it: the
 * lock would be gone, and another process could start a run of the same instance. Each case is checked from a
 * process of its own ({@link LockFileProbe}).
 */
class LockFilesInOneProcessTest {

    @TempDir
    Path dir;

    private TableStore store() {
        TableStore store = new DuckDbStoreFactory().open(DuckDbStoreUnderTest.settings("mini", dir, Map.of("threads", 1)));
        store.init();
        return store;
    }

    private Path lockFile(String name) throws Exception {
        try (Stream<Path> files = Files.list(dir)) {
            List<Path> named = files.filter(f -> f.getFileName().toString().contains("." + name)
                    && f.getFileName().toString().endsWith(".lock")).toList();
            assertEquals(1, named.size(), () -> "one lock file for '" + name + "': " + named);
            return named.get(0);
        }
    }

    @Test
    void askingWhoHoldsALockThisProcessHoldsKeepsItHeld() throws Exception {
        try (TableStore first = store(); TableStore second = store();
             LockManager.Lock held = first.locks().acquire("main", Duration.ofSeconds(5), m -> { })) {
            Path file = lockFile("main");
            assertEquals("held", LockFileProbe.probe(file));
            assertTrue(second.locks().tryAcquire("main").isEmpty(), "a run in this process holds it");
            String holder = second.locks().holder("main");
            assertEquals("held", LockFileProbe.probe(file), "still held after its holder was asked for");
            assertTrue(held.isHeld());
            assertTrue(holder.contains("held by a run in this process, process " + ProcessHandle.current().pid()),
                    holder);
        }
    }

    @Test
    void timingOutOnALockThisProcessHoldsKeepsItHeldAndSaysSo() throws Exception {
        try (TableStore first = store(); TableStore second = store();
             LockManager.Lock held = first.locks().acquire("main", Duration.ofSeconds(5), m -> { })) {
            LockManager.LockTimeoutException timeout = assertThrows(LockManager.LockTimeoutException.class,
                    () -> second.locks().acquire("main", Duration.ofMillis(100), m -> { }));
            assertTrue(timeout.getMessage().contains("a run in this JVM"), timeout.getMessage());
            assertTrue(timeout.getMessage().contains("process " + ProcessHandle.current().pid()), timeout.getMessage());
            assertEquals("held", LockFileProbe.probe(lockFile("main")), "still held after the timeout named its holder");
        }
    }

    @Test
    void askingWhoHasTheDatabaseOpenWhileThisProcessHasItKeepsItsLock() throws Exception {
        try (TableStore store = store()) {
            Path database = dir.resolve("mini.duckdb");
            Path file = DatabaseFileLock.lockFileOf(database);
            assertEquals("held", LockFileProbe.probe(file));
            String holder = DatabaseFileLock.holder(database);
            assertEquals("held", LockFileProbe.probe(file), "still held after its holder was asked for");
            assertTrue(holder.contains("held by this process, process " + ProcessHandle.current().pid()), holder);
        }
    }
}
