package dev.weir.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.weir.engine.Blob;
import dev.weir.engine.Flow;
import dev.weir.engine.Outputs;
import dev.weir.engine.Ref;
import dev.weir.engine.Sql;
import dev.weir.engine.Stage;
import dev.weir.engine.Table;
import dev.weir.engine.TaskHandle;
import dev.weir.engine.data.ArrowTable;
import dev.weir.engine.data.Rows;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** Lazy SQL, raw SQL, blobs, values, imperative materialization, Arrow inputs, keys and indexes. */
class TaskKindsTest extends FlowKitTest {


    private static Flow lazyFlow(String threshold, AtomicInteger calls) {
        return Flow.define("lazy", f -> {
            Stage raw = f.stage("raw");
            Ref orders = raw.task("orders").version("1")
                    .produces(ctx -> Table.of(Rows.builder("id", "amount").add(1L, 10.0).add(2L, -5.0).add(3L, 7.5)
                            .build(), "orders").primaryKey("id")).ref();
            Stage clean = f.stage("clean");
            clean.task("valid_orders").input("o", orders, Ref.class).lazy().produces(ctx -> {
                calls.incrementAndGet();
                return Table.of(Sql.of("SELECT * FROM " + ctx.sqlName("o") + " WHERE amount > " + threshold));
            });
        });
    }

    @Test
    void lazyTaskRunsItsQueryInTheStoreAndIsCachedByTheQuery() {
        AtomicInteger calls = new AtomicInteger();
        FlowRunRecord first = kit.run(lazyFlow("0", calls), mini);
        Rows valid = first.result().get(new Ref("clean", "valid_orders", "valid_orders"), Rows.class);
        assertEquals(2, valid.size());

        FlowRunRecord same = kit.run(lazyFlow("0", calls), mini);
        assertEquals(Set.of("orders", "valid_orders"), same.cacheHits());

        FlowRunRecord changed = kit.run(lazyFlow("8", calls), mini);
        assertEquals(Set.of("valid_orders"), changed.ran());
        assertEquals(1, changed.result().get(new Ref("clean", "valid_orders", "valid_orders"), Rows.class).size());
        assertEquals(3, calls.get(), "a lazy task's function is called once per run, while planning");
    }

    @Test
    void sqlTemplateNamesInputsByPlaceholder() {
        Flow flow = Flow.define("template", f -> {
            Stage s = f.stage("s");
            Ref numbers = s.task("numbers").produces(ctx -> Table.of(Rows.builder("n").add(1L).add(2L).add(3L).build()))
                    .ref();
            s.task("big").sql("SELECT n * 10 AS n FROM {x} WHERE n >= 2", Map.of("x", numbers));
        });
        FlowRunRecord run = kit.run(flow, mini);
        assertTrue(run.successful(), () -> run.result().toJson());
        assertEquals(List.of(20L, 30L), run.result().get(new Ref("s", "big", "big"), Rows.class).stream()
                .map(r -> r.get("n")).sorted().toList());
    }

    @Test
    void rawSqlScriptCreatesSeveralTablesThatLaterTasksRead() {
        Flow flow = Flow.define("raw", f -> {
            Stage s = f.stage("s");
            TaskHandle script = s.task("script").rawSql("""
                    CREATE TABLE {out}."a" AS SELECT 1 AS x;
                    CREATE TABLE {out}."b" AS SELECT 2 AS x UNION ALL SELECT 3;
                    """, Map.of());
            Stage t = f.stage("t");
            t.task("count_b").version("1").input("b", script.ref("b"), Rows.class)
                    .produces(ctx -> (long) ctx.input("b", Rows.class).size());
        });
        FlowRunRecord run = kit.run(flow, mini);
        assertTrue(run.successful(), () -> run.result().toJson());
        assertEquals(2L, run.result().get(new Ref("t", "count_b", "count_b"), Long.class));
        assertEquals(1, run.result().get(new Ref("s", "script", "a"), Rows.class).size());

        FlowRunRecord again = kit.run(flow, mini);
        assertEquals(Set.of("script", "count_b"), again.cacheHits());
    }

    record Model(String name, List<Double> weights) {
    }

    @Test
    void blobsAndValuesPassBetweenTasksAndSurviveTheCache() {
        Flow flow = Flow.define("blobs", f -> {
            Stage s = f.stage("s");
            TaskHandle train = s.task("train").version("1").outputs("model", "score")
                    .produces(ctx -> Outputs.of(Blob.of(new Model("m", List.of(0.5, 1.5)), "model"), 0.93));
            Stage t = f.stage("t");
            t.task("use").version("1").input("model", train.ref("model"), Model.class).input("score", train.ref("score"), Double.class)
                    .produces(ctx -> ctx.input("model", Model.class).weights().size() + ctx.input("score", Double.class));
        });
        FlowRunRecord run = kit.run(flow, mini);
        assertTrue(run.successful(), () -> run.result().toJson());
        assertEquals(2.93, run.result().get(new Ref("t", "use", "use"), Double.class), 1e-9);
        assertEquals(new Model("m", List.of(0.5, 1.5)), run.result().get(new Ref("s", "train", "model"), Model.class));

        FlowRunRecord bumped = kit.run(Flow.define("blobs", f -> {
            Stage s = f.stage("s");
            TaskHandle train = s.task("train").version("1").outputs("model", "score")
                    .produces(ctx -> Outputs.of(Blob.of(new Model("m", List.of(0.5, 1.5)), "model"), 0.93));
            s.task("extra").version("1").produces(ctx -> 1);
            Stage t = f.stage("t");
            t.task("use").version("1").input("model", train.ref("model"), Model.class).input("score", train.ref("score"), Double.class)
                    .produces(ctx -> ctx.input("model", Model.class).weights().size() + ctx.input("score", Double.class));
        }), mini);
        assertEquals(Set.of("extra"), bumped.ran());
        assertEquals(new Model("m", List.of(0.5, 1.5)), bumped.result().get(new Ref("s", "train", "model"), Model.class),
                "a blob carried forward by a cache hit stays readable after its stage is recommitted");
    }

    @Test
    void tablesMaterializedInsideATaskAreReadableBySqlAndCarriedWithTheCache() {
        Flow flow = Flow.define("imperative", f -> {
            Stage s = f.stage("s");
            s.task("two_steps").version("1").produces(ctx -> {
                String staged = ctx.materialize(Table.of(Rows.builder("k", "v").add(1L, "x").add(2L, "y").build(), "staged"));
                return Table.of(Sql.of("SELECT k FROM " + staged + " WHERE v = 'y'"), "final");
            });
            s.task("other").version("1").produces(ctx -> 1);
        });
        FlowRunRecord run = kit.run(flow, mini);
        assertTrue(run.successful(), () -> run.result().toJson());
        assertEquals(1, run.result().get(new Ref("s", "two_steps", "two_steps"), Rows.class).size());

        FlowRunRecord bumped = kit.run(Flow.define("imperative", f -> {
            Stage s = f.stage("s");
            s.task("two_steps").version("1").produces(ctx -> {
                String staged = ctx.materialize(Table.of(Rows.builder("k", "v").add(1L, "x").add(2L, "y").build(), "staged"));
                return Table.of(Sql.of("SELECT k FROM " + staged + " WHERE v = 'y'"), "final");
            });
            s.task("other").version("2").produces(ctx -> 2);
        }), mini);
        assertEquals(Set.of("two_steps"), bumped.cacheHits());
        assertEquals(2, bumped.result().get(new Ref("s", "two_steps", "staged"), Rows.class).size(),
                "the imperatively materialized table is carried forward with the hit");
    }

    @Test
    void aStreamReturnedAsATableIsWrittenBatchByBatchAndClosed() {
        Flow flow = Flow.define("stream", f -> {
            Stage s = f.stage("s");
            Ref numbers = s.task("numbers").produces(ctx -> {
                Rows.Builder b = Rows.builder("n");
                for (long i = 0; i < 5_000; i++) {
                    b.add(i);
                }
                return Table.of(b.build());
            }).ref();
            s.task("copy").input("in", numbers, org.apache.arrow.vector.ipc.ArrowReader.class)
                    .produces(ctx -> Table.of(ctx.input("in", org.apache.arrow.vector.ipc.ArrowReader.class), "copied"));
        });
        FlowRunRecord run = kit.run(flow, mini);
        assertTrue(run.successful(), () -> run.result().toJson());
        assertEquals(5_000, run.result().get(new Ref("s", "copy", "copy"), Rows.class).size());
        assertEquals(0, kit.allocator().getAllocatedMemory());
    }

    @Test
    void arrowInputsAreHandedOutAndFreedByTheEngine() {
        Flow flow = Flow.define("arrow", f -> {
            Stage s = f.stage("s");
            Ref numbers = s.task("numbers").produces(ctx -> {
                Rows.Builder b = Rows.builder("n");
                for (long i = 0; i < 10_000; i++) {
                    b.add(i);
                }
                return Table.of(b.build().toArrow(ctx.allocator()));
            }).ref();
            s.task("count").input("in", numbers, ArrowTable.class).produces(ctx -> ctx.input("in", ArrowTable.class).rowCount());
        });
        FlowRunRecord run = kit.run(flow, mini);
        assertTrue(run.successful(), () -> run.result().toJson());
        assertEquals(10_000L, run.result().get(new Ref("s", "count", "count"), Long.class));
        assertEquals(0, kit.allocator().getAllocatedMemory(), "every Arrow buffer of the run is freed");
    }
}
