package dev.weir.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.weir.engine.Flow;
import dev.weir.engine.Result;
import dev.weir.engine.RunCancelledException;
import dev.weir.engine.RunHandle;
import dev.weir.engine.RunEvent;
import dev.weir.engine.RunOptions;
import dev.weir.engine.Stage;
import dev.weir.engine.Table;
import dev.weir.engine.TaskResult;
import dev.weir.engine.TaskState;
import dev.weir.engine.batch.Batched;
import dev.weir.engine.config.InstanceConfig;
import dev.weir.engine.config.InstanceConfig.CacheValidation;
import dev.weir.engine.data.Rows;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.junit.jupiter.api.Test;

/**
 * Every wait has a bound and a run can be cancelled: hung tasks and chunks time out, queued runs wait
 * for the instance lock without holding threads, a cancelled run leaves the last commit and the lock
 * as they were. Runs on every store: {@link TimeoutsAndCancelOnDuckDbTest} and
 * {@link TimeoutsAndCancelOnPostgresTest}.
 */
abstract class TimeoutsAndCancelTest extends FlowKitTest {

    /** More queued runs than the blocking dispatcher has threads ({@code fixed-pool-size = 16}). */
    private static final int QUEUED = 20;

    @Override
    protected abstract InstanceConfig instance(FlowTestKit kit);

    @Test
    void queuedRunsWaitForTheLockWithoutPinningThreadsAndAllCompleteOneAfterAnother() throws Exception {
        CountDownLatch inside = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        AtomicBoolean holderDone = new AtomicBoolean();
        Flow holder = Flow.define("holder", f -> {
            Stage s = f.stage("s");
            var first = s.task("first").produces(ctx -> {
                inside.countDown();
                assertTrue(release.await(60, TimeUnit.SECONDS));
                return Table.of(Rows.builder("v").add(1L).build());
            }).ref();
            s.task("second").input("in", first, Rows.class).produces(ctx -> {
                holderDone.set(true); // needs a blocking thread while every queued run waits
                return Table.of(ctx.input("in", Rows.class));
            });
        });
        AtomicInteger inLock = new AtomicInteger();
        ConcurrentLinkedQueue<String> violations = new ConcurrentLinkedQueue<>();
        Flow queued = Flow.define("queued", f -> f.stage("q").task("work").produces(ctx -> {
            if (!holderDone.get()) {
                violations.add("a queued run ran before the holder finished");
            }
            if (inLock.incrementAndGet() != 1) {
                violations.add("two runs of the instance ran at once");
            }
            Thread.sleep(5);
            inLock.decrementAndGet();
            return Table.of(Rows.builder("v").add(2L).build());
        }));

        CompletableFuture<Result> first = kit.weir().run(holder, mini).toCompletableFuture();
        awaitInside(inside, first);
        RunOptions forced = RunOptions.defaults().cacheValidation(
                CacheValidation.NORMAL.withMode(CacheValidation.Mode.FORCE_CACHE_INVALID));
        List<CompletableFuture<Result>> runs = new ArrayList<>();
        List<TestProbe<RunEvent>> probes = new ArrayList<>();
        for (int i = 0; i < QUEUED; i++) {
            TestProbe<RunEvent> probe = kit.testKit().createTestProbe(RunEvent.class);
            probes.add(probe);
            runs.add(kit.weir().run(queued, mini, forced.runId("queued-" + i).listener(probe.getRef()))
                    .toCompletableFuture());
        }
        for (TestProbe<RunEvent> probe : probes) {
            RunEvent.Waiting waiting = probe.expectMessageClass(RunEvent.Waiting.class, Duration.ofSeconds(20));
            assertTrue(waiting.message().contains("mini") || waiting.message().contains("bounds"), waiting.message());
        }
        long released = System.nanoTime();
        release.countDown();

        assertTrue(first.get(20, TimeUnit.SECONDS).successful(), "the holder gets its threads while 20 runs queue");
        for (CompletableFuture<Result> run : runs) {
            Result result = run.get(60, TimeUnit.SECONDS);
            assertTrue(result.successful(), () -> result.failure().map(Throwable::toString).orElse(""));
            result.close();
        }
        first.get().close();
        double seconds = (System.nanoTime() - released) / 1e9;
        assertTrue(violations.isEmpty(), violations.toString());
        assertTrue(seconds < 60, "holder and " + QUEUED + " queued runs took " + seconds + " s");
        System.out.printf("holder + %d queued runs of one instance finished %.2f s after the holder was released%n",
                QUEUED, seconds);
    }

    /** A task that sleeps until interrupted, counting its calls and its interrupts. */
    private static final class Hang {
        final AtomicInteger calls = new AtomicInteger();
        final AtomicInteger interrupted = new AtomicInteger();
        final CountDownLatch inside = new CountDownLatch(1);

        Object hang() throws InterruptedException {
            calls.incrementAndGet();
            inside.countDown();
            try {
                Thread.sleep(Duration.ofMinutes(10).toMillis());
            } catch (InterruptedException e) {
                interrupted.incrementAndGet();
                throw e;
            }
            return Table.of(Rows.builder("v").add(0L).build());
        }
    }

    private static Flow committedThenHung(long value, Hang hang, Duration timeout) {
        return Flow.define("hang", f -> {
            Stage s = f.stage("s");
            s.task("kept").version(value + "").produces(ctx -> Table.of(Rows.builder("v").add(value).build()));
            if (hang != null) {
                var hung = s.task("hung");
                if (timeout != null) {
                    hung.timeout(timeout);
                }
                hung.produces(ctx -> hang.hang());
            }
        });
    }

    private long committedValue(FlowRunRecord run) {
        return (Long) run.result().get(new dev.weir.engine.Ref("s", "kept", "kept"), Rows.class).get(0).get("v");
    }

    @Test
    void aHungTaskFailsAfterItsTimeoutNamingItselfAndTheLimitAndIsInterruptedNotRetried() {
        kit.run(committedThenHung(1, null, null), mini);
        Hang hang = new Hang();
        long start = System.nanoTime();
        FlowRunRecord run = kit.run(committedThenHung(2, hang, Duration.ofMillis(600)), mini);
        double seconds = (System.nanoTime() - start) / 1e9;

        assertFalse(run.successful());
        TaskResult hung = run.task("hung");
        assertEquals(TaskState.FAILED, hung.state());
        assertTrue(hung.error().contains("flow 'hang', stage 's', task 'hung'"), hung.error());
        assertTrue(hung.error().contains("timeout of 600 ms") && hung.error().contains("TaskBuilder.timeout"),
                hung.error());
        assertEquals(1, hang.calls.get(), "a timeout is not retried as transient");
        assertEquals(1, hang.interrupted.get(), "its thread was interrupted");
        assertTrue(seconds < 10, "the run ended " + seconds + " s after it started");
        assertEquals(1L, committedValue(run), "the stage was rolled back: the last commit is what readers see");
    }

    @Test
    void theInstancesTaskTimeoutBoundsEveryTaskAndItsMessageNamesTheKey() {
        Hang hang = new Hang();
        FlowRunRecord run = kit.run(committedThenHung(1, hang, null),
                mini.withTimeouts(mini.timeouts().withTask(Duration.ofMillis(500))));
        TaskResult hung = run.task("hung");
        assertEquals(TaskState.FAILED, hung.state());
        assertTrue(hung.error().contains("timeout of 500 ms (task_timeout of "), hung.error());
        assertEquals(1, hang.interrupted.get());
    }

    @Test
    void aHungChunkFailsItsTaskNamingTheChunkAndItsMemoryIsFreed() {
        AtomicInteger hungCalls = new AtomicInteger();
        AtomicInteger interrupted = new AtomicInteger();
        Flow flow = Flow.define("chunks", f -> {
            Stage s = f.stage("s");
            var orders = s.task("orders").produces(ctx -> Table.of(BatchedTaskTest.orders(2_000), "orders")).ref();
            s.task("score").input("orders", orders, Rows.class).batched(Batched.hashOf("customer_id", 4))
                    .chunkTimeout(Duration.ofMillis(800)).produces(ctx -> {
                        Rows chunk = ctx.input("orders", Rows.class);
                        // Each chunk holds Arrow memory while it runs; the hung one must give it back.
                        if (chunk.stream().anyMatch(r -> ((Long) r.get("customer_id")) == 7L)) {
                            hungCalls.incrementAndGet();
                            try {
                                Thread.sleep(Duration.ofMinutes(10).toMillis());
                            } catch (InterruptedException e) {
                                interrupted.incrementAndGet();
                                throw e;
                            }
                        }
                        return Table.of(BatchedTaskTest.score(chunk), "scores");
                    });
        });
        FlowRunRecord run = kit.run(flow, mini);
        TaskResult score = run.task("score");
        assertEquals(TaskState.FAILED, score.state());
        assertTrue(score.error().contains("flow 'chunks', stage 's', task 'score'"), score.error());
        assertTrue(score.error().matches("(?s).*chunk \\d+ \\(.*\\): ran longer than its timeout of 800 ms"
                + " \\(TaskBuilder\\.chunkTimeout of task 'score'\\).*"), score.error());
        assertEquals(1, hungCalls.get(), "a timed-out chunk is not retried");
        assertEquals(1, interrupted.get());
        // the kit's allocator fails the test on close if the chunk's memory leaked
    }

    @Test
    void aCancelledRunLeavesTheLastCommitIntactAndTheLockFree() throws Exception {
        kit.run(committedThenHung(1, null, null), mini);
        Hang hang = new Hang();
        RunHandle handle = kit.weir().submit(committedThenHung(2, hang, null), mini, RunOptions.defaults());
        assertTrue(hang.inside.await(30, TimeUnit.SECONDS));
        Result cancelled = handle.cancel("the test cancels it").toCompletableFuture().get(20, TimeUnit.SECONDS);
        try (cancelled) {
            assertFalse(cancelled.successful());
            Throwable failure = cancelled.failure().orElseThrow();
            assertTrue(failure instanceof RunCancelledException, failure.toString());
            assertTrue(failure.getMessage().contains("the test cancels it") && failure.getMessage().contains("'hang'"),
                    failure.getMessage());
            assertEquals(1, hang.interrupted.get(), "the running task was interrupted");
            assertEquals(1L, cancelled.get(new dev.weir.engine.Ref("s", "kept", "kept"), Rows.class).get(0).get("v"),
                    "the stage was rolled back");
        }
        long start = System.nanoTime();
        FlowRunRecord next = kit.run(committedThenHung(1, null, null), mini);
        assertTrue(next.events().stream().noneMatch(e -> e instanceof RunEvent.Waiting), "the lock was free");
        assertTrue((System.nanoTime() - start) / 1e9 < 10);
        assertEquals(Set.of("kept"), next.cacheHits(), "the last commit and its cache entries are intact");
        assertEquals(1L, committedValue(next));
    }

    @Test
    void cancellingTheFutureOfAQueuedRunEndsItsWaitAndTheHolderCarriesOn() throws Exception {
        // The holder keeps the lock until the test lets it go, so that the queued run finds it taken however
        // long it takes to start (a holder ending at a timeout of its own could be gone by then).
        CountDownLatch inside = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        Flow holding = Flow.define("hang", f -> {
            Stage s = f.stage("s");
            s.task("kept").version("1").produces(ctx -> Table.of(Rows.builder("v").add(1L).build()));
            s.task("held").produces(ctx -> {
                inside.countDown();
                assertTrue(release.await(60, TimeUnit.SECONDS), "the test never released the holder");
                return Table.of(Rows.builder("v").add(0L).build());
            });
        });
        CompletableFuture<Result> holder = kit.weir().run(holding, mini).toCompletableFuture();
        try {
            awaitInside(inside, holder);
            TestProbe<RunEvent> probe = kit.testKit().createTestProbe(RunEvent.class);
            CompletableFuture<Result> queued = kit.weir().run(committedThenHung(5, null, null), mini,
                    RunOptions.defaults().listener(probe.getRef())).toCompletableFuture();
            probe.expectMessageClass(RunEvent.Waiting.class, Duration.ofSeconds(20));
            assertTrue(queued.cancel(true));
            RunEvent.RunFinished finished = probe.expectMessageClass(RunEvent.RunFinished.class, Duration.ofSeconds(10));
            assertFalse(finished.successful());
            assertFalse(holder.isDone(), "the holder still runs");
        } finally {
            release.countDown();
        }
        try (Result held = holder.get(30, TimeUnit.SECONDS)) {
            assertTrue(held.successful(), held::summary);
            assertEquals(TaskState.COMPLETED, held.state("held"), "the holder ran on to its end");
        }
    }

    @Test
    void aRunThatGivesUpWaitingForTheLockNamesTheRunHoldingIt() throws Exception {
        Hang hang = new Hang();
        RunHandle holder = kit.weir().submit(committedThenHung(1, hang, null), mini, RunOptions.defaults());
        assertTrue(hang.inside.await(30, TimeUnit.SECONDS), "the holder's task started");
        try (Result queued = kit.weir().run(committedThenHung(5, null, null), mini.withLockTimeout(Duration.ofMillis(500)))
                .toCompletableFuture().get(30, TimeUnit.SECONDS)) {
            assertFalse(queued.successful());
            String error = queued.failure().map(Throwable::getMessage).orElse(queued.summary());
            assertTrue(error.contains("is still held by another run of instance '" + mini.instanceName() + "' (held by ")
                    && error.contains(holderHint()) && error.contains("lock_timeout 500 ms"), error);
        } finally {
            holder.cancel("the test is over").toCompletableFuture().get(20, TimeUnit.SECONDS).close();
        }
    }

    /** What the store says of the run holding the lock: its process, or its database session. */
    protected abstract String holderHint();

    /** A query that runs for minutes in this store unless it is cancelled. */
    protected abstract String slowQuery();

    @Test
    void aStatementPastTheStatementTimeoutIsCancelledAndFailsItsTaskSayingSo() {
        dev.weir.engine.store.StoreSettings store = mini.tableStore();
        InstanceConfig bounded = mini.withTableStoreSettings(new dev.weir.engine.store.StoreSettings(
                store.instanceName(), store.instanceId(), store.connectionName(), store.kind(),
                store.args().withValue("statement_timeout", com.typesafe.config.ConfigValueFactory.fromAnyRef("1s")),
                store.workDir(), store.origin()));
        Flow flow = Flow.define("slow", f -> f.stage("s").task("slow").sql(slowQuery(), java.util.Map.of()));
        long start = System.nanoTime();
        FlowRunRecord run = kit.run(flow, bounded);
        double seconds = (System.nanoTime() - start) / 1e9;
        TaskResult slow = run.task("slow");
        assertEquals(TaskState.FAILED, slow.state());
        assertTrue(slow.error().contains("flow 'slow', stage 's', task 'slow'")
                && slow.error().contains("statement_timeout"), slow.error());
        assertTrue(seconds < 20, "the statement was cancelled after " + seconds + " s");
    }

    /** Waits until a task of {@code run} is inside its body; fails at once with the run's error if it ended. */
    private static void awaitInside(CountDownLatch inside, CompletableFuture<Result> run) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!inside.await(50, TimeUnit.MILLISECONDS)) {
            if (run.isDone()) {
                Result result = run.join();
                throw new AssertionError("the run ended before its task started: "
                        + result.failure().map(Throwable::toString).orElse(result.summary()));
            }
            assertTrue(System.nanoTime() < deadline, "the task did not start within 30 s");
        }
    }
}
