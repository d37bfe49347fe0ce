package dev.weir.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.weir.engine.Flow;
import dev.weir.engine.FlowDefinitionException;
import dev.weir.engine.Outputs;
import dev.weir.engine.Ref;
import dev.weir.engine.Stage;
import dev.weir.engine.Table;
import dev.weir.engine.TaskState;
import dev.weir.engine.combine.Args;
import dev.weir.engine.combine.SourceStream;
import dev.weir.engine.combine.TaskSpec;
import dev.weir.engine.data.ArrowTable;
import dev.weir.engine.data.Rows;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.arrow.vector.ipc.ArrowReader;
import org.duckdb.DuckDBResultSet;
import org.junit.jupiter.api.Test;

/** Two tasks fused into one: one run, one cache entry, one report line, data handed over in memory. */
class CombinedTaskTest extends FlowKitTest {


    private static TaskSpec readOrders(String version) {
        return TaskSpec.named("read_orders").version(version)
                .produces(ctx -> Table.of(SampleFlows.source()));
    }

    private static TaskSpec writeOrders(String version) {
        return TaskSpec.named("write_orders").version(version).takes("orders")
                .produces(ctx -> Table.of(SampleFlows.doubled(ctx.input("orders", Rows.class)), "orders"));
    }

    private static Flow migration(TaskSpec first, TaskSpec second) {
        return Flow.define("migration", f -> f.stage("raw").task("migrate").combine(first, second));
    }

    private static final Ref MIGRATED = new Ref("raw", "migrate", "migrate");

    @Test
    void defaultStitchHandsTheFirstTasksOnlyOutputToTheSecondTasksOnlyInput() {
        FlowRunRecord run = kit.run(migration(readOrders("1"), writeOrders("1")), mini);

        assertTrue(run.successful(), () -> run.result().toJson());
        assertEquals(SampleFlows.doubled(SampleFlows.source()).asList(),
                run.result().get(MIGRATED, Rows.class).asList());
    }

    @Test
    void customStitchMapsTwoOutputsToOtherNamesPositionallyAndByNameBesideAnUpstreamInput() {
        TaskSpec split = TaskSpec.named("split").outputs("dfA", "dfB")
                .produces(ctx -> Outputs.of(Table.of(SampleFlows.source(), "dfA"),
                        Table.of(SampleFlows.doubled(SampleFlows.source()), "dfB")));
        Flow flow = Flow.define("stitched", f -> {
            Stage s = f.stage("s");
            Ref factor = s.task("factor").produces(ctx -> 10L).ref();
            TaskSpec join = TaskSpec.named("join").takes("left", "right").input("factor", factor, Long.class)
                    .produces(ctx -> {
                        long k = ctx.input("factor", Long.class);
                        Rows left = ctx.input("left", Rows.class);
                        Rows right = ctx.input("right", Rows.class);
                        Rows.Builder out = Rows.builder("left_a", "right_a");
                        for (int i = 0; i < left.size(); i++) {
                            out.add(left.get(i).get("a"), (Long) right.get(i).get("a") * k);
                        }
                        return Table.of(out.build());
                    });
            s.task("joined").combine(split, join, out -> Args.of(out.get("dfB")).and("left", out.get(0)));
        });

        FlowRunRecord run = kit.run(flow, mini);

        assertTrue(run.successful(), () -> run.result().toJson());
        Rows joined = run.result().get(new Ref("s", "joined", "joined"), Rows.class);
        assertEquals(List.of(0L, 1L, 2L, 4L), joined.stream().map(r -> r.get("left_a")).toList());
        assertEquals(List.of(0L, 20L, 40L, 80L), joined.stream().map(r -> r.get("right_a")).toList());
    }

    @Test
    void secondRunIsOneCacheHitForTheCombinedTask() {
        kit.run(migration(readOrders("1"), writeOrders("1")), mini);

        FlowRunRecord again = kit.run(migration(readOrders("1"), writeOrders("1")), mini);

        assertEquals(Set.of("migrate"), again.cacheHits());
        assertEquals(Set.of(), again.ran());
    }

    @Test
    void bumpingAnInnerTasksVersionRerunsTheCombinedTask() {
        kit.run(migration(readOrders("1"), writeOrders("1")), mini);

        FlowRunRecord bumped = kit.run(migration(readOrders("2"), writeOrders("1")), mini);

        assertEquals(Set.of("migrate"), bumped.ran());
        assertEquals("version-changed read_orders@1+write_orders@1 -> read_orders@2+write_orders@1",
                bumped.task("migrate").reason());
    }

    @Test
    void theRunReportHasOneEntryForTheCombinedTaskAndNoneForItsInnerTasks() {
        FlowRunRecord run = kit.run(migration(readOrders("1"), writeOrders("1")), mini);

        assertEquals(List.of("migrate"), run.result().tasks().stream().map(t -> t.task()).toList());
        assertEquals(4, run.task("migrate").rows());
        assertEquals(List.of("migrate"), run.startOrder());
    }

    @Test
    void anErrorInTheFirstTaskNamesTheInnerTask() {
        TaskSpec broken = TaskSpec.named("read_orders").produces(ctx -> {
            throw new IllegalStateException("source unreachable");
        });

        FlowRunRecord run = kit.run(migration(broken, writeOrders("1")), mini);

        assertEquals(TaskState.FAILED, run.task("migrate").state());
        String error = run.task("migrate").error();
        assertTrue(error.contains("combined task 'migrate', inner task 'read_orders': ")
                && error.contains("source unreachable"), error);
    }

    @Test
    void anErrorInTheSecondTaskNamesTheInnerTaskAndFreesWhatTheFirstHandedOver() {
        TaskSpec arrowSource = TaskSpec.named("read_orders")
                .produces(ctx -> Table.of(SampleFlows.source().toArrow(ctx.allocator())));
        TaskSpec broken = TaskSpec.named("write_orders").takes("orders").produces(ctx -> {
            ctx.input("orders", ArrowReader.class);
            throw new IllegalStateException("sink refused the batch");
        });

        FlowRunRecord run = kit.run(migration(arrowSource, broken), mini);

        String error = run.task("migrate").error();
        assertTrue(error.contains("combined task 'migrate', inner task 'write_orders': ")
                && error.contains("sink refused the batch"), error);
        assertEquals(0, kit.allocator().getAllocatedMemory());
    }

    @Test
    void theHandedOverTableIsNeverMaterializedAndItsMemoryIsFreed() {
        AtomicBoolean sameTable = new AtomicBoolean();
        ArrowTable[] produced = new ArrowTable[1];
        TaskSpec arrowSource = TaskSpec.named("read_orders").produces(ctx -> {
            produced[0] = SampleFlows.source().toArrow(ctx.allocator());
            return Table.of(produced[0]);
        });
        TaskSpec sink = TaskSpec.named("write_orders").takes("orders").produces(ctx -> {
            ArrowTable orders = ctx.input("orders", ArrowTable.class);
            sameTable.set(orders == produced[0]);
            return Table.of(orders); // passed through: the engine owns it now and frees it once written
        });

        FlowRunRecord run = kit.run(migration(arrowSource, sink), mini);

        assertTrue(run.successful(), () -> run.result().toJson());
        assertTrue(sameTable.get(), "the second task got the first task's Arrow table itself, not a copy");
        assertEquals(4, run.result().get(MIGRATED, Rows.class).size());
        assertThrows(RuntimeException.class,
                () -> run.result().get(new Ref("raw", "read_orders", "read_orders"), Rows.class));
        assertEquals(0, kit.allocator().getAllocatedMemory());
    }

    @Test
    void migrationStreamsFromAnotherDatabaseIntoTheStoreWithoutLandingInBetween() throws Exception {
        String sourceUrl = "jdbc:duckdb:" + dir.resolve("source.duckdb");
        try (Connection c = DriverManager.getConnection(sourceUrl); Statement st = c.createStatement()) {
            st.execute("CREATE TABLE orders AS SELECT range AS order_id, range * 1.5 AS amount FROM range(100000)");
        }
        TaskSpec source = TaskSpec.named("read_orders").produces(ctx -> {
            Connection c = DriverManager.getConnection(sourceUrl);
            Statement st = c.createStatement();
            ResultSet rs = st.executeQuery("SELECT * FROM orders");
            ArrowReader batches = (ArrowReader) rs.unwrap(DuckDBResultSet.class).arrowExportStream(ctx.allocator(), 8192);
            return SourceStream.of(ctx.allocator(), batches, rs, st, c);
        });
        TaskSpec sink = TaskSpec.named("write_orders").takes("orders").produces(ctx ->
                Table.of(ArrowTable.readAll(ctx.input("orders", ArrowReader.class), ctx.allocator()), "orders"));
        FlowRunRecord run = kit.run(migration(source, sink), mini);

        assertTrue(run.successful(), () -> run.result().toJson());
        assertEquals(100000, run.task("migrate").rows());
        assertEquals(0, kit.allocator().getAllocatedMemory());
    }

    @Test
    void withoutAStitchTheShapesMustMatchAndTheErrorShowsHowToWriteOne() {
        TaskSpec two = TaskSpec.named("split").outputs("dfA", "dfB").produces(ctx -> null);
        FlowDefinitionException e = assertThrows(FlowDefinitionException.class,
                () -> migration(two, writeOrders("1")));
        assertTrue(e.getMessage().contains("pass a stitch, e.g. combine(first, second, out -> Args.of(out.get(\"dfA\"))"),
                e.getMessage());
    }

    @Test
    void aStitchThatLeavesAnInputUnfilledNamesTheInput() {
        TaskSpec join = TaskSpec.named("join").takes("left", "right").produces(ctx -> 1);
        FlowRunRecord run = kit.run(Flow.define("stitched", f -> f.stage("s").task("joined")
                .combine(readOrders("1"), join, out -> Args.of(out.only()))), mini);
        String error = run.task("joined").error();
        assertTrue(error.contains("stitch from 'read_orders' to 'join'")
                && error.contains("1 positional arguments for the 2 inputs [left, right]"), error);
    }

    @Test
    void aSpecRunsOnItsOwnAsAnOrdinaryTask() {
        Flow flow = Flow.define("apart", f -> {
            Stage s = f.stage("raw");
            Ref read = s.task("read_orders").runs(readOrders("1")).ref();
            s.task("write_orders").runs(writeOrders("1").bind("orders", read));
        });

        FlowRunRecord run = kit.run(flow, mini);

        assertEquals(Set.of("read_orders", "write_orders"), run.ran());
        assertEquals(4, run.result().get(new Ref("raw", "read_orders", "read_orders"), Rows.class).size());
        assertFalse(run.result().get(new Ref("raw", "write_orders", "write_orders"), Rows.class).asList().isEmpty());
    }
}
