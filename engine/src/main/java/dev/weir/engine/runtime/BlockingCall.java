package dev.weir.engine.runtime;

import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.function.Supplier;

/**
 * Blocking work on the blocking dispatcher that its actor can interrupt: a task attempt, a chunk's
 * compute or upload. {@link #interrupt()} interrupts the thread running the work, only while it runs
 * it (a pool thread that has moved on to other work is never interrupted); work not yet started does
 * not start. Thread-safe: the actor interrupts, a dispatcher thread runs.
 */
final class BlockingCall<T> {

    private final Object guard = new Object();
    private final CompletableFuture<T> future;
    private Thread runner;
    private boolean interrupted;

    private BlockingCall(Supplier<T> work, Executor blocking) {
        this.future = CompletableFuture.supplyAsync(() -> run(work), blocking);
    }

    /** Starts {@code work} on {@code blocking}. */
    static <T> BlockingCall<T> start(Supplier<T> work, Executor blocking) {
        return new BlockingCall<>(work, blocking);
    }

    /** Completes with the work's value or failure; a call interrupted before it started fails with a {@link CancellationException}. */
    CompletableFuture<T> future() {
        return future;
    }

    /** Interrupts the running work, or keeps it from starting. Calling it again does nothing more. */
    void interrupt() {
        synchronized (guard) {
            if (interrupted) {
                return;
            }
            interrupted = true;
            if (runner != null) {
                runner.interrupt();
            }
        }
    }

    private T run(Supplier<T> work) {
        synchronized (guard) {
            if (interrupted) {
                throw new CancellationException("interrupted before it started");
            }
            runner = Thread.currentThread();
        }
        try {
            return work.get();
        } finally {
            synchronized (guard) {
                runner = null;
                Thread.interrupted(); // the pool thread goes on to other work without a stray interrupt
            }
        }
    }
}
