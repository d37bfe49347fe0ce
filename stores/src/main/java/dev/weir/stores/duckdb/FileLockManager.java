package dev.weir.stores.duckdb;

import dev.weir.engine.store.LockManager;
import dev.weir.engine.store.StoreException;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;

/**
 * Locks held as files beside the database: {@code <database file>.<name>.lock}. A lock is taken
 * in two steps: an in-JVM semaphore for the file (threads of this process), then
 * {@link FileChannel#tryLock()} polled until the timeout (other processes).
 *
 * <p>Locks are not owned by a thread: an actor may release on another dispatcher thread than the
 * one that acquired.
 */
final class FileLockManager implements LockManager {

    /**
     * One permit per lock file in this JVM. Static on purpose, the only static state of the
     * stores: the operating system's file locks belong to the process, so two stores of one JVM
     * trying the same file get {@link java.nio.channels.OverlappingFileLockException} instead of
     * waiting; every store of the process must therefore queue on one shared semaphore per file.
     * Entries are never removed (one small object per lock file ever used).
     */
    private static final ConcurrentHashMap<Path, Semaphore> IN_JVM = new ConcurrentHashMap<>();

    /**
     * The line each lock file held by this JVM names its holder with, by file: read instead of the file while
     * the lock is held here ({@link LockHolder#of} says why). Set while its semaphore's permit is taken.
     */
    private static final ConcurrentHashMap<Path, String> HELD_HERE = new ConcurrentHashMap<>();

    private static final long POLL_MILLIS = 50;

    private final Path lockBase;
    private final String storeName;

    /** @param lockBase the path lock files are named after, e.g. the database file */
    FileLockManager(Path lockBase, String storeName) {
        this.lockBase = lockBase.toAbsolutePath().normalize();
        this.storeName = storeName;
    }

    @Override
    public Lock acquire(String name, Duration timeout, Consumer<String> onWait) throws InterruptedException {
        Path file = lockFile(name);
        long deadline = System.nanoTime() + timeout.toNanos();
        boolean[] waiting = {false};
        Runnable startWaiting = () -> {
            if (!waiting[0]) {
                waiting[0] = true;
                onWait.accept("Waiting up to " + timeout + " for lock '" + name + "' (" + file
                        + "): another run of this instance holds it");
            }
        };
        Semaphore inJvm = IN_JVM.computeIfAbsent(file, f -> new Semaphore(1));
        if (!inJvm.tryAcquire()) {
            startWaiting.run();
            if (!inJvm.tryAcquire(remaining(deadline), TimeUnit.NANOSECONDS)) {
                throw timeout(name, file, timeout, "a run in this JVM" + heldHere(file));
            }
        }
        try {
            FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
            try {
                FileLock lock;
                while ((lock = channel.tryLock()) == null) {
                    startWaiting.run();
                    if (remaining(deadline) <= 0) {
                        // this thread holds the file's permit: no lock of this JVM on it to lose by reading it
                        throw timeout(name, file, timeout, "another process" + LockHolder.of(file));
                    }
                    Thread.sleep(Math.min(POLL_MILLIS, Math.max(1, remaining(deadline) / 1_000_000)));
                }
                HELD_HERE.put(file, LockHolder.write(channel));
                return new HeldLock(file, lock, channel, inJvm);
            } catch (IOException | RuntimeException | InterruptedException e) {
                channel.close();
                throw e;
            }
        } catch (IOException e) {
            inJvm.release();
            throw new StoreException(storeName + ": cannot lock file " + file + " for lock '" + name + "'", e);
        } catch (RuntimeException | InterruptedException e) {
            inJvm.release();
            throw e;
        }
    }

    @Override
    public java.util.Optional<Lock> tryAcquire(String name) {
        Path file = lockFile(name);
        Semaphore inJvm = IN_JVM.computeIfAbsent(file, f -> new Semaphore(1));
        if (!inJvm.tryAcquire()) {
            return java.util.Optional.empty();
        }
        try {
            FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
            try {
                FileLock lock = channel.tryLock();
                if (lock == null) {
                    channel.close();
                    inJvm.release();
                    return java.util.Optional.empty();
                }
                HELD_HERE.put(file, LockHolder.write(channel));
                return java.util.Optional.of(new HeldLock(file, lock, channel, inJvm));
            } catch (IOException | RuntimeException e) {
                channel.close();
                throw e;
            }
        } catch (IOException e) {
            inJvm.release();
            throw new StoreException(storeName + ": cannot lock file " + file + " for lock '" + name + "'", e);
        } catch (RuntimeException e) {
            inJvm.release();
            throw e;
        }
    }

    /**
     * The line the holder wrote into the lock file; a hint, as {@link LockHolder} says. When a run of this JVM
     * holds the lock, the line it wrote, without reading the file (reading it would end the lock).
     */
    @Override
    public String holder(String name) {
        Path file = lockFile(name);
        Semaphore inJvm = IN_JVM.computeIfAbsent(file, f -> new Semaphore(1));
        if (!inJvm.tryAcquire()) {
            String line = HELD_HERE.get(file);
            return " (held by a run in this process" + (line == null ? "" : ", " + line) + ")";
        }
        try {
            return LockHolder.of(file);
        } finally {
            inJvm.release();
        }
    }

    /** {@code " (held by process 123 on host since …)"} while a run of this JVM holds {@code file}, else empty. */
    private static String heldHere(Path file) {
        String line = HELD_HERE.get(file);
        return line == null ? "" : " (held by " + line + ")";
    }

    @Override
    public String describe(String name) {
        return "lock '" + name + "' (" + lockFile(name) + ")";
    }

    private LockTimeoutException timeout(String name, Path file, Duration timeout, String holder) {
        return new LockTimeoutException(storeName + ": lock '" + name + "' (" + file + ") is still held by "
                + holder + " after waiting " + timeout + "; wait for that run to finish, or delete the lock"
                + " file if no Weir process is running");
    }

    private static long remaining(long deadline) {
        return Math.max(0, deadline - System.nanoTime());
    }

    private Path lockFile(String name) {
        String safe = name.replaceAll("[^A-Za-z0-9_.-]", "_");
        if (!safe.equals(name)) {
            safe = safe + "-" + Integer.toHexString(name.hashCode());
        }
        Path file = lockBase.resolveSibling(lockBase.getFileName() + "." + safe + ".lock");
        return createLockFile(file, storeName + ": cannot create lock file " + file + " for lock '" + name + "'");
    }

    /**
     * {@code file}, created (with its directories) unless it exists, as its real path; a lock file is
     * never deleted, so every process locking it locks the same file. Fails with {@code failure}.
     */
    static Path createLockFile(Path file, String failure) {
        try {
            Files.createDirectories(file.getParent());
            if (Files.notExists(file)) {
                try {
                    Files.createFile(file);
                } catch (java.nio.file.FileAlreadyExistsException raced) {
                    // Another thread or process created it first; that is the same file.
                }
            }
            return file.toRealPath();
        } catch (IOException e) {
            throw new StoreException(failure, e);
        }
    }

    private static final class HeldLock implements Lock {
        private final Path file;
        private final FileLock lock;
        private final FileChannel channel;
        private final Semaphore inJvm;
        private final AtomicBoolean released = new AtomicBoolean();

        HeldLock(Path file, FileLock lock, FileChannel channel, Semaphore inJvm) {
            this.file = file;
            this.lock = lock;
            this.channel = channel;
            this.inJvm = inJvm;
        }

        /** The operating system keeps a file lock for as long as its channel is open: only closing loses it. */
        @Override
        public boolean isHeld() {
            return !released.get() && lock.isValid();
        }

        @Override
        public String toString() {
            return "file lock " + file;
        }

        @Override
        public void close() {
            if (!released.compareAndSet(false, true)) {
                return;
            }
            HELD_HERE.remove(file);
            try {
                lock.release();
                channel.close();
            } catch (IOException e) {
                throw new StoreException("cannot release lock file", e);
            } finally {
                inJvm.release();
            }
        }
    }
}
