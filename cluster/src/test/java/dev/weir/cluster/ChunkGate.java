package dev.weir.cluster;

import java.time.Duration;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Where a worker's chunks of {@link ScoringFlow} wait until the test lets them go, so that a test acts
 * "mid-task" because the chunks cannot finish before it, not because they are slow: each chunk's function
 * arrives, takes a pass (waiting at most {@link #BOUND}, then failing the chunk), then scores. Each worker
 * of a test gets a gate of its own (its own flow object, the same code). Thread-safe: chunks arrive on
 * the workers' blocking dispatchers.
 */
final class ChunkGate {

    /** How long a chunk waits for a pass: longer than any test here runs, so only a broken test hits it. */
    static final Duration BOUND = Duration.ofMinutes(2);

    private final Semaphore passes;
    private final AtomicInteger arrived = new AtomicInteger();
    private volatile boolean abandoned;

    private ChunkGate(int passes) {
        this.passes = new Semaphore(passes);
    }

    /** A gate every chunk passes at once. */
    static ChunkGate passing() {
        return new ChunkGate(Integer.MAX_VALUE / 2);
    }

    /** A gate that lets {@code n} chunks through, and holds the next ones until {@link #open()}. */
    static ChunkGate letting(int n) {
        return new ChunkGate(n);
    }

    /** A worker's resolver of {@link ScoringFlow} ({@code orders} orders) whose chunks wait at this gate. */
    FlowResolver scoring(long orders) {
        return FlowResolver.of(ScoringFlow.class, java.util.List.of(ScoringFlow.create(orders, this::pass)));
    }

    /** A chunk arrives: waits for a pass; fails when the gate is abandoned or no pass comes within the bound. */
    void pass() throws InterruptedException {
        arrived.incrementAndGet();
        if (!passes.tryAcquire(BOUND.toMillis(), TimeUnit.MILLISECONDS)) {
            throw new IllegalStateException("the test let no chunk through its gate within " + BOUND.toSeconds() + " s");
        }
        if (abandoned) {
            throw new IllegalStateException("the test abandoned this chunk (its node is gone)");
        }
    }

    /** A worker's resolver of {@link ScoringFlow#inlined} ({@code orders} orders) whose chunks wait at this gate. */
    FlowResolver scoringInlined(long orders) {
        return FlowResolver.of(ScoringFlow.class, java.util.List.of(ScoringFlow.inlined(orders, this::pass)));
    }

    /** Lets every chunk through, those waiting and those to come. */
    void open() {
        passes.release(Integer.MAX_VALUE / 2);
    }

    /** Ends the chunks waiting and to come with an error: for a node that is gone, so that its threads end. */
    void abandon() {
        abandoned = true;
        open();
    }

    /** How many chunks have arrived, passed or waiting. */
    int arrived() {
        return arrived.get();
    }

    /** Waits until {@code n} chunks have arrived, failing after {@code bound}. */
    void awaitArrived(int n, Duration bound) throws InterruptedException {
        long deadline = System.nanoTime() + bound.toNanos();
        while (arrived.get() < n) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError(arrived.get() + " chunks arrived at the gate within " + bound.toSeconds()
                        + " s, not " + n);
            }
            Thread.sleep(20);
        }
    }
}
