package dev.weir.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.AppenderBase;
import dev.weir.engine.Flow;
import dev.weir.engine.Ref;
import dev.weir.engine.Stage;
import dev.weir.engine.Table;
import dev.weir.engine.TaskState;
import dev.weir.engine.batch.Batched;
import dev.weir.engine.batch.Chunk;
import dev.weir.engine.batch.ChunkPlanning;
import dev.weir.engine.batch.InvocationHook;
import dev.weir.engine.config.InstanceConfig;
import dev.weir.engine.config.InstanceConfig.RetryPolicy;
import dev.weir.engine.data.Rows;
import dev.weir.engine.store.StoreException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * Faults that used to stop an actor silently, or leave a run waiting for a message that never comes:
 * each run must end within a bound, failed, with an error naming flow, stage, task (and chunk), its
 * instance lock released (a next run of the instance goes through) and no Arrow memory left behind
 * (the kit's allocator check when the test ends). Runs on every store: {@link FaultInjectionOnDuckDbTest}
 * and {@link FaultInjectionOnPostgresTest}.
 */
abstract class FaultInjectionTest extends FlowKitTest {

    /** Every run here ends well within this, or the test fails instead of hanging. */
    private static final Duration BOUND = Duration.ofSeconds(30);

    @Override
    protected abstract InstanceConfig instance(FlowTestKit kit);

    @BeforeEach
    void boundRuns() {
        kit.timeout(BOUND);
    }

    private static Rows numbers(int n) {
        Rows.Builder b = Rows.builder("id", "customer_id");
        for (long i = 0; i < n; i++) {
            b.add(i, i % 7);
        }
        return b.build();
    }

    /** A batched task over 100 rows with {@code hook}, copying its chunk's rows. */
    private static Flow batched(InvocationHook hook) {
        return Flow.define("faults", f -> {
            Stage raw = f.stage("raw");
            Ref in = raw.task("numbers").produces(ctx -> Table.of(numbers(100), "numbers")).ref();
            f.stage("out").task("copy").input("in", in, Rows.class).batched(hook)
                    .produces(ctx -> Table.of(ctx.input("in", Rows.class), "copied"));
        });
    }

    /** The instance lock was released: another run of the instance starts and succeeds. */
    private void assertInstanceFree(InstanceConfig instance) {
        Flow probe = Flow.define("probe", f -> f.stage("probe").task("one")
                .produces(ctx -> Table.of(Rows.builder("v").add(1L).build())));
        FlowRunRecord next = kit.run(probe, instance);
        assertTrue(next.successful(), () -> next.result().toJson());
    }

    @Test
    void aRetryWaitingOutItsBackoffWhenFailFastStopsTheRunIsDroppedAndTheRunEnds() {
        AtomicInteger attemptsOfA = new AtomicInteger();
        InstanceConfig instance = mini.withFailFast(true)
                .withRetry(new RetryPolicy(3, Duration.ofSeconds(2), Duration.ofSeconds(2)));
        FlowRunRecord run;
        try (RetryNoted aRetries = new RetryNoted("s/a")) {
            Flow flow = Flow.define("retry_meets_fail_fast", f -> {
                Stage s = f.stage("s");
                s.task("a").produces(ctx -> {
                    attemptsOfA.incrementAndGet();
                    throw new StoreException("connection reset", null, true, null);
                });
                s.task("b").produces(ctx -> {
                    aRetries.await(); // the run has a's retry waiting out its backoff when b fails
                    throw new IllegalStateException("b fails for good");
                });
            });

            run = kit.run(flow, instance);
        }

        assertFalse(run.successful());
        assertEquals(TaskState.FAILED, run.task("b").state());
        assertTrue(run.task("b").error().contains("b fails for good"), run.task("b").error());
        assertEquals(TaskState.SKIPPED, run.task("a").state());
        assertEquals("run-stopped (fail-fast)", run.task("a").reason());
        assertEquals(1, attemptsOfA.get(), "the retry of a never ran");
        assertFalse(run.committedStages().contains("s"));
        assertInstanceFree(instance);
    }

    @Test
    void aRetryStartsOnlyWhenItsBackoffEndsEvenWhenAnotherTaskEndsMeanwhile() {
        List<Long> startsOfA = new java.util.concurrent.CopyOnWriteArrayList<>();
        AtomicLong cEnded = new AtomicLong();
        FlowRunRecord run;
        try (RetryNoted aRetries = new RetryNoted("s/a")) {
            Flow flow = Flow.define("retry_waits", f -> {
                Stage s = f.stage("s");
                s.task("a").produces(ctx -> {
                    startsOfA.add(System.nanoTime());
                    if (startsOfA.size() == 1) {
                        throw new StoreException("connection reset", null, true, null);
                    }
                    return Table.of(Rows.builder("v").add(1L).build());
                });
                s.task("c").produces(ctx -> {
                    aRetries.await(); // c ends while a waits out its backoff
                    cEnded.set(System.nanoTime());
                    return Table.of(Rows.builder("v").add(2L).build());
                });
            });
            InstanceConfig instance = mini.withRetry(new RetryPolicy(3, Duration.ofSeconds(2), Duration.ofSeconds(2)));

            run = kit.run(flow, instance);
        }

        assertTrue(run.successful(), () -> run.result().toJson());
        assertEquals(2, startsOfA.size(), "a ran once more, not twice more");
        assertEquals(2, run.task("a").attempts());
        assertTrue(cEnded.get() - startsOfA.get(0) > 0 && startsOfA.get(1) - cEnded.get() > 0,
                "c ended between a's attempts");
        assertTrue(startsOfA.get(1) - startsOfA.get(0) >= Duration.ofMillis(1_900).toNanos(),
                "the second attempt waited for the backoff");
    }

    @Test
    void aHookThrowingWhenAskedForItsBoundsFailsTheTaskNamingIt() {
        InvocationHook hook = new Delegating(Batched.hashOf("customer_id", 4)) {
            @Override
            public int maxBufferedChunks() {
                throw new IllegalStateException("no buffer size today");
            }
        };
        FlowRunRecord run = kit.run(batched(hook), mini);

        assertFalse(run.successful());
        assertEquals(TaskState.FAILED, run.task("copy").state());
        String error = run.task("copy").error();
        assertTrue(error.contains("flow 'faults', stage 'out', task 'copy'"), error);
        assertTrue(error.contains("no buffer size today"), error);
        assertInstanceFree(mini);
    }

    @Test
    void aHookThrowingWhenThePoolIsSizedFailsTheRunNamingTheTask() {
        InvocationHook hook = new Delegating(Batched.hashOf("customer_id", 4)) {
            @Override
            public int computeParallelism() {
                throw new IllegalStateException("no parallelism today");
            }
        };
        FlowRunRecord run = kit.run(batched(hook), mini);

        assertFalse(run.successful());
        String json = run.result().toJson();
        assertTrue(json.contains("stage 'out', task 'copy'") && json.contains("no parallelism today"), json);
        assertInstanceFree(mini);
    }

    @Test
    void aStageWhoseTasksAreAllSkippedAfterAnUpstreamFailureKeepsItsLastCommit() {
        AtomicInteger failing = new AtomicInteger();
        java.util.function.Function<String, Flow> flow = version -> Flow.define("upstream", f -> {
            Ref p = f.stage("a").task("p").version(version).produces(ctx -> {
                if (failing.get() == 1) {
                    throw new IllegalArgumentException("p is broken today");
                }
                return Table.of(Rows.builder("v").add(7L).build(), "p");
            }).ref();
            f.stage("b").task("c").version("1").input("p", p, Rows.class)
                    .produces(ctx -> Table.of(ctx.input("p", Rows.class), "c"));
        });
        FlowRunRecord first = kit.run(flow.apply("1"), mini);
        assertTrue(first.successful(), () -> first.result().toJson());

        failing.set(1);
        FlowRunRecord second = kit.run(flow.apply("2"), mini);

        assertFalse(second.successful());
        assertEquals(TaskState.SKIPPED, second.task("b", "c").state());
        assertFalse(second.committedStages().contains("b"), "stage b had nothing new to commit");
        failing.set(0);
        FlowRunRecord third = kit.run(flow.apply("1"), mini);
        assertTrue(third.successful(), () -> third.result().toJson());
        assertEquals(TaskState.CACHE_VALID, third.task("b", "c").state(), "b/c kept its committed table and entry");
        assertEquals(1, third.result().get(new Ref("b", "c", "c"), Rows.class).size());
    }

    @Test
    void aHookAllowingNoChunkToComputeIsRefusedNamingTheTaskAndTheBound() {
        InvocationHook hook = new Delegating(Batched.hashOf("customer_id", 4)) {
            @Override
            public int computeParallelism() {
                return 0;
            }
        };
        FlowRunRecord run = kit.run(batched(hook), mini);

        assertEquals(TaskState.FAILED, run.task("copy").state());
        String error = run.task("copy").error();
        assertTrue(error.contains("task 'copy'"), error);
        assertTrue(error.contains("computeParallelism() = 0"), error);
        assertInstanceFree(mini);
    }

    @Test
    void aHookPreparingTwoChunksWithOneIndexIsRefusedNamingTheIndex() {
        InvocationHook hook = new Delegating(Batched.hashOf("customer_id", 4)) {
            @Override
            public List<Chunk> prepare(ChunkPlanning planning) {
                return List.of(new Chunk(0, "1 = 1", "all"), new Chunk(0, "1 = 0", "none"));
            }
        };
        FlowRunRecord run = kit.run(batched(hook), mini);

        assertEquals(TaskState.FAILED, run.task("copy").state());
        String error = run.task("copy").error();
        assertTrue(error.contains("task 'copy'") && error.contains("two chunks with index 0"), error);
        assertInstanceFree(mini);
    }

    @Test
    void aHookReturningNoListOfChunksIsRefusedNamingTheTask() {
        InvocationHook hook = new Delegating(Batched.hashOf("customer_id", 4)) {
            @Override
            public List<Chunk> prepare(ChunkPlanning planning) {
                return null;
            }
        };
        FlowRunRecord run = kit.run(batched(hook), mini);

        String error = run.task("copy").error();
        assertTrue(error.contains("task 'copy'") && error.contains("returned null instead of a list of chunks"), error);
    }

    /**
     * The run's note that a task failed transiently and will run again after its backoff: {@code FlowRun} logs
     * it in the same message as it sets the task waiting for its retry, so a task that {@link #await}s it
     * knows that whatever it does next reaches the run with the retry already waiting (instead of sleeping
     * and hoping that the run heard of the failure first). Listens while open.
     */
    private static final class RetryNoted extends AppenderBase<ILoggingEvent> implements AutoCloseable {
        private final Logger logger = (Logger) LoggerFactory.getLogger("dev.weir.engine.runtime.FlowRun");
        private final CountDownLatch noted = new CountDownLatch(1);
        private final String prefix;

        /** @param task {@code stage/name} */
        RetryNoted(String task) {
            this.prefix = "Task '" + task + "' failed transiently";
            start();
            logger.addAppender(this);
        }

        @Override
        protected void append(ILoggingEvent event) {
            if (event.getFormattedMessage().startsWith(prefix)) {
                noted.countDown();
            }
        }

        void await() throws InterruptedException {
            assertTrue(noted.await(20, TimeUnit.SECONDS), "the run never noted a retry: " + prefix);
        }

        @Override
        public void close() {
            logger.detachAppender(this);
            stop();
        }
    }

    /** A hook that answers as {@code inner} does, for tests to break one answer. */
    private static class Delegating implements InvocationHook {
        private final InvocationHook inner;

        Delegating(InvocationHook inner) {
            this.inner = inner;
        }

        @Override
        public String describe() {
            return inner.describe();
        }

        @Override
        public List<Chunk> prepare(ChunkPlanning planning) throws Exception {
            return inner.prepare(planning);
        }

        @Override
        public String restrict(Chunk chunk, String input) {
            return inner.restrict(chunk, input);
        }

        @Override
        public int computeParallelism() {
            return inner.computeParallelism();
        }

        @Override
        public int uploadParallelism() {
            return inner.uploadParallelism();
        }

        @Override
        public int maxBufferedChunks() {
            return inner.maxBufferedChunks();
        }
    }
}
