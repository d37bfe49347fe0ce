package dev.weir.stores.duckdb;

import dev.weir.engine.store.LockManager;
import java.time.Duration;
import java.util.function.Consumer;

/**
 * The DuckDB store's locks: before any lock, the database file itself. DuckDB lets one process at a
 * time open a file, so a run first waits until this process may open the database
 * ({@link DuckDbDatabase#open(Duration, Consumer)}), then takes its named lock from the lock files
 * beside the database ({@link FileLockManager}), which orders runs of this process. Both waits share
 * one timeout and report through one {@code onWait}.
 */
final class DuckDbLocks implements LockManager {

    private final DuckDbDatabase database;
    private final FileLockManager files;

    DuckDbLocks(DuckDbDatabase database, FileLockManager files) {
        this.database = database;
        this.files = files;
    }

    @Override
    public Lock acquire(String name, Duration timeout, Consumer<String> onWait) throws InterruptedException {
        long start = System.nanoTime();
        boolean[] told = {false};
        Consumer<String> once = message -> {
            if (!told[0]) {
                told[0] = true;
                onWait.accept(message);
            }
        };
        database.open(timeout, once);
        if (!told[0]) {
            return files.acquire(name, timeout, once);
        }
        // the wait for the database used part of the timeout
        Duration left = timeout.minusNanos(System.nanoTime() - start);
        return files.acquire(name, left.isNegative() ? Duration.ZERO : left, once);
    }
}
