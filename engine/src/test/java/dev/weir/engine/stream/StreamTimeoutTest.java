package dev.weir.engine.stream;

import static dev.weir.engine.stream.TestBatches.map;
import static dev.weir.engine.stream.TestBatches.onEachPull;
import static dev.weir.engine.stream.TestBatches.source;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A task call or a source pull that never returns fails the run within its timeout, naming the task (or
 * the source), the batch and the setting, instead of leaving the reader waiting forever; what the stuck
 * call brings back once it does return is freed (the fixture's allocator check, after the release).
 */
class StreamTimeoutTest extends StreamExecutorFixture {

    /** Lets every stuck call of the test go, so that the allocator can be checked for leaks; one per test. */
    private volatile CountDownLatch release;

    @BeforeEach
    void holdStuckCalls() {
        release = new CountDownLatch(1);
    }

    @AfterEach
    void releaseStuckCallsAndWaitForTheirBatchesToBeFreed() throws InterruptedException {
        release.countDown();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (allocator.getAllocatedMemory() != 0 && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
    }

    /** Waits until released, whatever interrupts arrive: user code that does not honour them. */
    private void stuckIgnoringInterrupts() {
        CountDownLatch release = this.release;
        boolean released = false;
        while (!released) {
            try {
                released = release.await(1, TimeUnit.MINUTES);
            } catch (InterruptedException ignored) {
                // carry on waiting, as careless user code would
            }
        }
    }

    private static StreamFailedException failureWithin(StreamResults results, Duration bound) throws Exception {
        try (results) {
            ExecutionException e = assertThrows(ExecutionException.class,
                    () -> results.summary().toCompletableFuture().get(bound.toMillis(), TimeUnit.MILLISECONDS));
            return assertInstanceOf(StreamFailedException.class, e.getCause());
        }
    }

    @Test
    void aCallThatIgnoresInterruptsFailsTheRunAtItsTaskTimeoutNamingTaskBatchAndSetting() throws Exception {
        StreamGraph graph = StreamGraph.builder()
                .task("parse", map(x -> x)).source("parse")
                .task("score", in -> {
                    if (in.batchId() == 2) {
                        stuckIgnoringInterrupts();
                    }
                    return in.table();
                }, "parse")
                .set("score", "timeout", "300ms")
                .build();
        long start = System.nanoTime();
        StreamFailedException e = failureWithin(executor.run(graph, source(6, 10)), Duration.ofSeconds(20));
        long tookMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        assertEquals("score", e.task());
        assertEquals(2, e.batchId());
        assertInstanceOf(TimeoutException.class, e.getCause());
        assertTrue(e.getMessage().contains("task 'score' failed on batch 2: ran longer than its timeout of 300 ms"
                + " (tasks.score.timeout)"), e.getMessage());
        assertTrue(tookMillis < 10_000, "the run ended " + tookMillis + " ms after it started");
    }

    @Test
    void iteratingTheResultsThrowsInsteadOfWaitingForeverAndClosingReturns() throws Exception {
        StreamGraph graph = StreamGraph.builder()
                .task("parse", in -> {
                    stuckIgnoringInterrupts();
                    return in.table();
                }).source("parse")
                .set("call-timeout", "200ms")
                .build();
        StreamResults results = executor.run(graph, source(3, 10));
        StreamFailedException e = assertThrows(StreamFailedException.class, results::hasNext);
        assertTrue(e.getMessage().contains("ran longer than its timeout of 200 ms (call-timeout)"), e.getMessage());
        results.close();
    }

    @Test
    void aCallThatHonoursTheInterruptEndsAndTheRunFailsAllTheSame() throws Exception {
        StreamGraph graph = StreamGraph.builder()
                .task("parse", in -> {
                    in.table().close();
                    Thread.sleep(TimeUnit.MINUTES.toMillis(5));
                    throw new AssertionError("not interrupted");
                }).source("parse")
                .set("parse", "timeout", "200ms")
                .build();
        StreamFailedException e = failureWithin(executor.run(graph, source(2, 10)), Duration.ofSeconds(20));
        assertEquals("parse", e.task());
        assertTrue(e.getMessage().contains("tasks.parse.timeout"), e.getMessage());
    }

    @Test
    void aSourceThatNeverYieldsFailsTheRunAtTheCallTimeoutNamingTheSource() throws Exception {
        StreamGraph graph = StreamGraph.builder()
                .task("parse", map(x -> x)).source("parse")
                .set("call-timeout", "300ms")
                .build();
        StreamFailedException e = failureWithin(executor.run(graph, onEachPull(source(5, 10), pull -> {
            if (pull == 1) {
                stuckIgnoringInterrupts();
            }
        })), Duration.ofSeconds(20));
        assertEquals(StreamGraph.SOURCE, e.task());
        assertTrue(e.getMessage().contains("the source failed producing batch"), e.getMessage());
        assertTrue(e.getMessage().contains("ran longer than its timeout of 300 ms (call-timeout)"), e.getMessage());
    }

    @Test
    void aSourceGivenUpOnIsInterruptedSoThatItsThreadComesBack() throws Exception {
        StreamGraph graph = StreamGraph.builder()
                .task("parse", map(x -> x)).source("parse")
                .set("call-timeout", "300ms")
                .build();
        CountDownLatch interrupted = new CountDownLatch(1);
        StreamFailedException e = failureWithin(executor.run(graph, onEachPull(source(5, 10), pull -> {
            if (pull == 1) {
                try {
                    Thread.sleep(TimeUnit.MINUTES.toMillis(10));
                } catch (InterruptedException stopped) {
                    interrupted.countDown();
                    throw new IllegalStateException("the source was interrupted", stopped);
                }
            }
        })), Duration.ofSeconds(20));
        assertEquals(StreamGraph.SOURCE, e.task());
        assertTrue(interrupted.await(10, TimeUnit.SECONDS), "the source's pull was interrupted");
    }

    @Test
    void callsWithinTheirTimeoutRunToTheEnd() throws Exception {
        StreamGraph graph = StreamGraph.builder()
                .task("parse", in -> {
                    Thread.sleep(20);
                    return in.table();
                }).source("parse")
                .set("call-timeout", "5s")
                .build();
        try (StreamResults results = executor.run(graph, source(5, 10))) {
            int seen = 0;
            while (results.hasNext()) {
                results.next().close();
                seen++;
            }
            assertEquals(5, seen);
        }
    }

    @Test
    void timeoutsAreValidatedNamingTheirKey() {
        List<String> problems = assertThrows(StreamGraphException.class, () -> StreamGraph.builder()
                .task("parse", map(x -> x)).source("parse")
                .set("call-timeout", "soon")
                .set("parse", "timeout", "0s")
                .validate()).problems();
        assertTrue(problems.stream().anyMatch(p -> p.startsWith("call-timeout: expected a duration")), problems.toString());
        assertTrue(problems.stream().anyMatch(p -> p.startsWith("tasks.parse.timeout: must be positive")),
                problems.toString());
    }
}
