package dev.weir.engine.runtime;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.weir.engine.Flow;
import dev.weir.engine.Ref;
import dev.weir.engine.Result;
import dev.weir.engine.RunOptions;
import dev.weir.engine.Stage;
import dev.weir.engine.Table;
import dev.weir.engine.config.InstanceConfig;
import dev.weir.engine.data.Rows;
import dev.weir.testkit.FlowTestKit;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.arrow.memory.RootAllocator;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.io.TempDir;

/**
 * The run's supervisor failing on its own thread: an illegal status change (here forged: a task that
 * never started reports its end) must fail the run with that error, let the running task end, abort
 * the stage, release the instance lock and complete the result, leaking no Arrow memory. White-box:
 * it drives {@link FlowRun} directly, on DuckDB and on PostgreSQL.
 */
class FlowRunFailurePathTest {

    @TempDir
    Path dir;
    private ActorTestKit testKit;
    private FlowTestKit kit;
    private RootAllocator allocator;
    private StoreRegistry stores;
    private RunServices services;

    @BeforeEach
    void start() {
        testKit = ActorTestKit.create();
        kit = FlowTestKit.create(testKit, dir);
        allocator = new RootAllocator();
        stores = new StoreRegistry(getClass().getClassLoader());
        services = new RunServices(testKit.system().dispatchers().lookup(
                DispatcherSelector.fromConfig(Engine.BLOCKING_DISPATCHER)), stores, allocator);
    }

    @AfterEach
    void stop() {
        try {
            stores.close();
            kit.close();
            testKit.shutdownTestKit();
        } finally {
            allocator.close(); // throws when the run leaked Arrow memory
        }
    }

    private InstanceConfig instance(String store) {
        if (store.equals("postgres")) {
            return kit.postgresInstance("supervisor");
        }
        return kit.instance("supervisor");
    }

    private CompletableFuture<Result> run(Flow flow, InstanceConfig instance, ActorRef<FlowRun.Command>[] ref) {
        CompletableFuture<Result> promise = new CompletableFuture<>();
        ref[0] = testKit.spawn(FlowRun.create(services, flow, instance, RunOptions.defaults(), promise));
        return promise;
    }

    @ParameterizedTest
    @ValueSource(strings = {"duckdb", "postgres"})
    void anIllegalStatusChangeFailsTheRunWithItsErrorAndReleasesTheLock(String store) throws Exception {
        InstanceConfig instance = instance(store);
        CountDownLatch started = new CountDownLatch(1);
        CountDownLatch go = new CountDownLatch(1);
        Flow flow = Flow.define("supervised", f -> {
            Stage s = f.stage("s");
            Ref slow = s.task("slow").produces(ctx -> {
                started.countDown();
                go.await(30, TimeUnit.SECONDS);
                return Table.of(Rows.builder("v").add(1L).build(), "slow").inline();
            }).ref();
            s.task("later").input("in", slow, Rows.class).produces(ctx -> Table.of(ctx.input("in", Rows.class)));
        });
        @SuppressWarnings("unchecked")
        ActorRef<FlowRun.Command>[] ref = new ActorRef[1];
        CompletableFuture<Result> result = run(flow, instance, ref);
        assertTrue(started.await(30, TimeUnit.SECONDS), "the first task never started");

        // 'later' is still PENDING: a report of its end is a bug the run must not swallow
        ref[0].tell(new FlowRun.TaskFinished(new TaskOutcome(new dev.weir.engine.TaskId("s", "later"), null, null, false, 0, null)));
        go.countDown();

        try (Result failed = result.get(30, TimeUnit.SECONDS)) {
            assertFalse(failed.successful());
            Throwable error = failed.failure().orElseThrow();
            assertInstanceOf(IllegalTransitionException.class, error);
            assertTrue(error.getMessage().contains("flow 'supervised', stage 's', task 'later' cannot go from PENDING"
                    + " to SUCCEEDED"), error.getMessage());
        }
        Flow again = Flow.define("supervised", f -> f.stage("s").task("slow")
                .produces(ctx -> Table.of(Rows.builder("v").add(2L).build(), "slow")));
        try (Result next = run(again, instance, ref).get(30, TimeUnit.SECONDS)) {
            assertTrue(next.successful(), next::toJson);
        }
    }
}
