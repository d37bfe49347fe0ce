package dev.weir.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigValueFactory;
import dev.weir.engine.Flow;
import dev.weir.engine.Ref;
import dev.weir.engine.Stage;
import dev.weir.engine.Table;
import dev.weir.engine.TaskState;
import dev.weir.engine.config.InstanceConfig;
import dev.weir.engine.store.StoreSettings;
import java.time.Duration;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;
import org.apache.arrow.vector.ipc.ArrowReader;
import org.junit.jupiter.api.Test;

/**
 * The PostgreSQL pool cannot deadlock a run on its own connections: a task streaming an
 * {@code ArrowReader} input into its output holds the reader's connection while it takes a second one
 * to write, so tasks running at once need more connections than tasks. Needs the server of the PG*
 * variables; skipped without one, except under {@code CI=true}.
 */
class PostgresPoolSizingTest extends FlowKitTest {

    private static final int ROWS = 1_000;

    @Override
    protected InstanceConfig instance(FlowTestKit kit) {
        return kit.postgresInstance("pgpool");
    }

    /**
     * {@code tasks} tasks that each open their input as a reader, wait until all of them hold theirs,
     * then stream it into their output.
     */
    private static Flow streaming(int tasks) {
        CyclicBarrier allReading = new CyclicBarrier(tasks);
        return Flow.define("streams", f -> {
            Ref numbers = f.stage("raw").task("numbers")
                    .produces(ctx -> Table.of(PostgresFaultInjectionTest.numbers(ROWS), "numbers")).ref();
            Stage out = f.stage("out");
            for (int i = 0; i < tasks; i++) {
                out.task("copy_" + i).input("numbers", numbers, ArrowReader.class).produces(ctx -> {
                    ArrowReader reader = ctx.input("numbers", ArrowReader.class);
                    allReading.await(45, TimeUnit.SECONDS); // longer than the pool's 30 s connection timeout
                    return Table.of(reader); // named after its task: copy_0, copy_1, …
                });
            }
        });
    }

    private InstanceConfig parallel(int tasks) {
        return mini.withOrchestration(new InstanceConfig.Orchestration(InstanceConfig.Orchestration.Engine.PARALLEL, tasks));
    }

    @Test
    void aPoolWithoutAFixedSizeGrowsSoThatTasksStreamingTheirInputsAllFinish() {
        int tasks = 9; // nine readers and the lock: more than the 8 connections a pool starts with
        kit.timeout(Duration.ofMinutes(2));

        FlowRunRecord run = kit.run(streaming(tasks), parallel(tasks));

        assertTrue(run.successful(), () -> run.result().toJson());
        for (int i = 0; i < tasks; i++) {
            assertEquals(ROWS, run.task("copy_" + i).rows());
        }
    }

    @Test
    void aFixedPoolTooSmallForTheRunFailsAtStartNamingTheKeysToChange() {
        int tasks = 4;
        StoreSettings store = mini.tableStore();
        InstanceConfig small = parallel(tasks).withTableStoreSettings(new StoreSettings(store.instanceName(),
                store.instanceId(), store.connectionName(), store.kind(),
                store.args().withValue("pool_size", ConfigValueFactory.fromAnyRef(4)), store.workDir(), store.origin()));

        FlowRunRecord run = kit.run(streaming(tasks), small);

        assertFalse(run.successful());
        String error = run.result().failure().orElseThrow().getMessage();
        assertTrue(error.contains("'pool_size' = 4") && error.contains("at least 6")
                && error.contains("orchestration.max_parallelism = 4") && error.contains("task 'copy_"), error);
        assertEquals(TaskState.SKIPPED, run.task("numbers").state(), "nothing ran");
    }
}
