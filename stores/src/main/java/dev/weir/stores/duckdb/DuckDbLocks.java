package dev.weir.stores.duckdb;

import dev.weir.engine.store.LockManager;
import java.time.Duration;
import java.util.Optional;
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

    /**
     * Empty while another process has the database open (the caller polls again), else the named
     * lock if it is free. The first success opens the database; that may take longer than a lock round trip.
     */
    @Override
    public Optional<Lock> tryAcquire(String name) {
        if (!database.tryOpen()) {
            return Optional.empty();
        }
        return files.tryAcquire(name);
    }

    /** The database file with its lock file, then the named lock's file. */
    @Override
    public String describe(String name) {
        return database.config().databaseFile()
                .map(file -> "DuckDB database " + file + " (lock file " + DatabaseFileLock.lockFileOf(file)
                        + ", one process at a time) and " + files.describe(name))
                .orElseGet(() -> files.describe(name));
    }

    /**
     * While another process has the database open, that process (from the database's lock file), else the
     * holder of the named lock's file.
     */
    @Override
    public String holder(String name) {
        if (!database.isOpen() && database.config().databaseFile().isPresent()) {
            String process = DatabaseFileLock.holder(database.config().databaseFile().get());
            return process.isEmpty() ? " (another process has the DuckDB database open)"
                    : process.replace(" (held by ", " (the DuckDB database is held open by ");
        }
        return files.holder(name);
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
