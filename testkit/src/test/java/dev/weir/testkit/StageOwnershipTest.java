package dev.weir.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.weir.engine.Flow;
import dev.weir.engine.Ref;
import dev.weir.engine.Stage;
import dev.weir.engine.Table;
import dev.weir.engine.TaskState;
import dev.weir.engine.config.InstanceConfig;
import dev.weir.engine.data.ArrowTable;
import dev.weir.engine.data.Rows;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.arrow.vector.IntVector;
import org.junit.jupiter.api.Test;

/**
 * Two flows on one instance: a stage committed by one flow is neither read as another flow's cache nor
 * overwritten by it; the run fails before it reads or writes anything, naming both flows. Runs on every
 * store: {@link StageOwnershipOnDuckDbTest} and {@link StageOwnershipOnPostgresTest}.
 */
abstract class StageOwnershipTest extends FlowKitTest {

    /** A second instance of the store the tests run on. */
    protected abstract InstanceConfig otherInstance(FlowTestKit kit);

    final AtomicInteger calls = new AtomicInteger();

    /** Like the batched example: stage {@code raw} holds five orders with BIGINT ids. */
    Flow wide() {
        return Flow.define("wide", f -> {
            Stage raw = f.stage("raw");
            Ref orders = raw.task("orders").version("1").produces(ctx -> {
                calls.incrementAndGet();
                Rows.Builder rows = Rows.builder("id");
                for (long id = 1; id <= 5; id++) {
                    rows.add(id);
                }
                return Table.of(rows.build());
            }).ref();
            f.stage("report").task("count").version("1").input("orders", orders, Rows.class)
                    .produces(ctx -> (long) ctx.input("orders", Rows.class).size());
        });
    }

    /** Like the lazy-sql example: its own stage {@code raw}, three orders with INT ids, read as such. */
    Flow narrow() {
        return Flow.define("narrow", f -> {
            Stage raw = f.stage("raw");
            Ref orders = raw.task("orders").version("1").produces(ctx -> {
                calls.incrementAndGet();
                return Table.of(Rows.builder("id").add(1).add(2).add(3).build());
            }).ref();
            f.stage("summary").task("sum").version("1").input("orders", orders, ArrowTable.class).produces(ctx -> {
                calls.incrementAndGet();
                IntVector ids = (IntVector) ctx.input("orders", ArrowTable.class).batches().get(0).getVector("id");
                long sum = 0;
                for (int i = 0; i < ids.getValueCount(); i++) {
                    sum += ids.get(i);
                }
                return sum;
            });
        });
    }

    private static void assertRefused(FlowRunRecord run, String flow, String owner) {
        assertFalse(run.successful(), () -> run.result().toJson());
        String message = run.result().failure().orElseThrow().getMessage();
        assertTrue(message.contains("flow '" + flow + "'") && message.contains("flow '" + owner + "'")
                && message.contains("stage 'raw'") && message.contains("another instance")
                && message.contains("schema_prefix"), message);
        assertEquals(run.result().tasks().size(), run.result().count(TaskState.SKIPPED), () -> run.result().toJson());
    }

    @Test
    void aFlowDoesNotReadNorOverwriteAStageAnotherFlowCommitted() {
        FlowRunRecord first = kit.run(wide(), mini);
        assertTrue(first.successful(), () -> first.result().toJson());
        calls.set(0);

        FlowRunRecord second = kit.run(narrow(), mini);

        assertRefused(second, "narrow", "wide");
        assertEquals(0, calls.get(), "nothing of the refused flow ran");
        FlowRunRecord again = kit.run(wide(), mini);
        assertEquals(Set.of("orders", "count"), again.cacheHits(), "the owner's stages and cache are untouched");
        assertEquals(5L, again.result().get(new Ref("report", "count", "count"), Long.class));
    }

    @Test
    void theOtherOrderIsRefusedAsClearly() {
        FlowRunRecord first = kit.run(narrow(), mini);
        assertTrue(first.successful(), () -> first.result().toJson());
        assertEquals(6L, first.result().get(new Ref("summary", "sum", "sum"), Long.class));
        calls.set(0);

        FlowRunRecord second = kit.run(wide(), mini);

        assertRefused(second, "wide", "narrow");
        assertEquals(0, calls.get());
        assertEquals(Set.of("orders", "sum"), kit.run(narrow(), mini).cacheHits());
    }

    @Test
    void eachFlowRunsOnAnInstanceOfItsOwn() {
        kit.run(wide(), mini);
        FlowRunRecord elsewhere = kit.run(narrow(), otherInstance(kit));
        assertTrue(elsewhere.successful(), () -> elsewhere.result().toJson());
        assertEquals(6L, elsewhere.result().get(new Ref("summary", "sum", "sum"), Long.class));
    }

    @Test
    void flowsWithDifferentStagesShareAnInstance() {
        kit.run(wide(), mini);
        Flow other = Flow.define("other", f -> f.stage("elsewhere").task("t").version("1").produces(ctx -> 1L));
        FlowRunRecord run = kit.run(other, mini);
        assertTrue(run.successful(), () -> run.result().toJson());
        assertEquals(Set.of("orders", "count"), kit.run(wide(), mini).cacheHits());
    }
}
