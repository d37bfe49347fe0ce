package dev.weir.stores.duckdb;

import dev.weir.engine.store.LockManager.LockTimeoutException;
import dev.weir.engine.store.StoreException;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The right of this process to open a DuckDB database file: an operating-system lock on
 * {@code <database file>.lock}, taken before DuckDB opens the file and released after the last store
 * of this process closed it.
 *
 * <p>DuckDB lets one process at a time open a file for writing and fails at once in every other
 * ("Could not set lock on file"). Taking this lock first turns that failure into a wait: a second
 * {@code weir run} on the same file polls the lock file until the first process lets go, bounded by
 * the caller's timeout, and opens the database only when it holds the lock.
 *
 * <p>Within one process DuckDB shares one database per file between every store that opens it, so
 * the lock is shared too: the first store to open the file takes it, later ones count themselves in,
 * the last one out releases it. That count is the reason for the static map, keyed by the real path
 * of the lock file (an operating-system lock belongs to the process, not to a store).
 */
final class DatabaseFileLock {

    private static final ConcurrentHashMap<Path, Shared> HELD_BY_THIS_PROCESS = new ConcurrentHashMap<>();

    private static final long POLL_MILLIS = 50;

    private DatabaseFileLock() {
    }

    /** One lock file, as this process holds it: how many stores use it, and the lock while they do. */
    private static final class Shared {
        private final ReentrantLock gate = new ReentrantLock();
        private FileChannel channel;
        private FileLock lock;
        private int holders;
        /** The line this process wrote into the lock file while it holds it ({@link LockHolder#write}). */
        private String line;
    }

    /** A store's share of the lock; closing it gives the share back. Closing twice is harmless. */
    static final class Held implements AutoCloseable {
        private final Path file;
        private final Shared shared;
        private boolean closed;

        private Held(Path file, Shared shared) {
            this.file = file;
            this.shared = shared;
        }

        @Override
        public void close() {
            shared.gate.lock();
            try {
                if (closed) {
                    return;
                }
                closed = true;
                if (--shared.holders == 0) {
                    try {
                        shared.lock.release();
                        shared.channel.close();
                    } catch (IOException e) {
                        throw new StoreException("cannot release the lock file " + file, e);
                    } finally {
                        shared.lock = null;
                        shared.channel = null;
                    }
                }
            } finally {
                shared.gate.unlock();
            }
        }
    }

    /** The lock file of a database file: {@code <database file>.lock}. */
    static Path lockFileOf(Path databaseFile) {
        return databaseFile.resolveSibling(databaseFile.getFileName() + ".lock");
    }

    /**
     * Takes a share of the lock, waiting until {@code deadline} (a {@link System#nanoTime()}) while
     * another process holds it.
     *
     * @param onWait called once, on this thread, when another process holds the lock and this one starts to wait
     * @param timeout the whole wait the caller allows, for messages
     * @throws LockTimeoutException when the lock was still held elsewhere at the deadline
     */
    static Held acquire(Path databaseFile, String storeName, long deadline, Duration timeout, Runnable onWait)
            throws InterruptedException {
        Path file = lockFile(databaseFile, storeName);
        Shared shared = HELD_BY_THIS_PROCESS.computeIfAbsent(file, f -> new Shared());
        long start = System.nanoTime();
        boolean waiting = false;
        if (!shared.gate.tryLock()) {
            // another store of this process is taking or giving back the same lock: wait for it, bounded
            waiting = true;
            onWait.run();
            if (!shared.gate.tryLock(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS)) {
                // this process may hold the file: it must not read it (LockHolder.of)
                throw timeout(databaseFile, file, storeName, start, timeout, " (a store of this process kept"
                        + " opening or closing it)");
            }
        }
        try {
            while (!take(shared, file, storeName)) {
                if (!waiting) {
                    waiting = true;
                    onWait.run();
                }
                long remaining = deadline - System.nanoTime();
                if (remaining <= 0) {
                    // under the gate, holding no share: this process holds no lock on the file to lose
                    throw timeout(databaseFile, file, storeName, start, timeout, LockHolder.of(file));
                }
                Thread.sleep(Math.max(1, Math.min(POLL_MILLIS, remaining / 1_000_000)));
            }
            return new Held(file, shared);
        } finally {
            shared.gate.unlock();
        }
    }

    /**
     * Who holds the database's lock file: {@code " (held by process 123 on host since …)"} as its holder wrote it,
     * or empty when the file names none. While this process holds it, the line it wrote, without reading the file
     * (reading a file this process has locked would end the lock: {@link LockHolder#of}).
     */
    static String holder(Path databaseFile) {
        Path file = lockFileOf(databaseFile);
        if (!Files.exists(file)) {
            return "";
        }
        Shared shared = HELD_BY_THIS_PROCESS.computeIfAbsent(lockFile(databaseFile, "DuckDB"), f -> new Shared());
        if (!shared.gate.tryLock()) {
            return " (held by this process, which is opening or closing it)";
        }
        try {
            return shared.holders > 0 ? " (held by this process, " + shared.line + ")" : LockHolder.of(file);
        } finally {
            shared.gate.unlock();
        }
    }

    /** Takes a share of the lock if no other process holds it; empty otherwise. Does not wait. */
    static java.util.Optional<Held> tryAcquire(Path databaseFile, String storeName) {
        Path file = lockFile(databaseFile, storeName);
        Shared shared = HELD_BY_THIS_PROCESS.computeIfAbsent(file, f -> new Shared());
        if (!shared.gate.tryLock()) {
            return java.util.Optional.empty();
        }
        try {
            return take(shared, file, storeName) ? java.util.Optional.of(new Held(file, shared))
                    : java.util.Optional.empty();
        } finally {
            shared.gate.unlock();
        }
    }

    /** Under the gate: counts one more holder, taking the file lock first when this process holds none. */
    private static boolean take(Shared shared, Path file, String storeName) {
        if (shared.holders > 0) {
            shared.holders++;
            return true;
        }
        FileChannel channel = null;
        try {
            channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
            FileLock lock = channel.tryLock();
            if (lock == null) {
                channel.close();
                return false;
            }
            shared.line = LockHolder.write(channel);
            shared.channel = channel;
            shared.lock = lock;
            shared.holders = 1;
            return true;
        } catch (IOException e) {
            if (channel != null) {
                try {
                    channel.close();
                } catch (IOException suppressed) {
                    e.addSuppressed(suppressed);
                }
            }
            throw new StoreException(storeName + ": cannot lock file " + file, e);
        }
    }

    private static Path lockFile(Path databaseFile, String storeName) {
        Path file = lockFileOf(databaseFile);
        return FileLockManager.createLockFile(file, storeName + ": cannot create the lock file " + file
                + " of DuckDB database " + databaseFile);
    }

    private static LockTimeoutException timeout(Path databaseFile, Path file, String storeName, long start,
                                                Duration timeout, String holder) {
        long waited = (System.nanoTime() - start) / 1_000_000;
        return new LockTimeoutException(storeName + ": DuckDB database " + databaseFile
                + " stayed open in another process" + holder + " for " + waited + " ms (lock file "
                + file + ", timeout " + timeout
                + "); wait for that run to finish (a process embedding Weir holds the file until its engine closes),"
                + " or raise lock_timeout");
    }
}
