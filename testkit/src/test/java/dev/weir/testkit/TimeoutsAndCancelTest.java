package dev.weir.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.weir.engine.Flow;
import dev.weir.engine.Result;
import dev.weir.engine.RunEvent;
import dev.weir.engine.RunOptions;
import dev.weir.engine.Stage;
import dev.weir.engine.Table;
import dev.weir.engine.config.InstanceConfig;
import dev.weir.engine.config.InstanceConfig.CacheValidation;
import dev.weir.engine.data.Rows;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
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
