package dev.weir.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.weir.engine.Flow;
import dev.weir.engine.FlowDefinitionException;
import dev.weir.engine.Ref;
import dev.weir.engine.Sql;
import dev.weir.engine.Stage;
import dev.weir.engine.Table;
import dev.weir.engine.TaskState;
import dev.weir.engine.data.Rows;
import dev.weir.engine.store.StoreException;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** Bad input and failures: one clear error naming flow, stage and task, and nothing committed is lost. */
class FailureTest extends FlowKitTest {


    private static Flow scores(long base, boolean failSecond) {
        return Flow.define("scores", f -> {
            Stage s = f.stage("scores");
            s.task("first").version(base + "").produces(ctx -> Table.of(Rows.builder("v").add(base).build()));
            s.task("second").version(base + "").produces(ctx -> {
                if (failSecond) {
                    throw new IllegalStateException("boom in second");
                }
                return Table.of(Rows.builder("v").add(base + 1).build());
            });
        });
    }

    @Test
    void failureMidStageLeavesTheLastCommittedStageReadableAndItsCacheIntact() {
        kit.run(scores(1, false), mini);

        FlowRunRecord failed = kit.run(scores(2, true), mini);
        assertFalse(failed.successful());
        assertEquals(TaskState.FAILED, failed.task("second").state());
        assertTrue(failed.task("second").error().contains("flow 'scores', stage 'scores', task 'second'"),
                failed.task("second").error());
        assertTrue(failed.task("second").error().contains("boom in second"));
        assertEquals(1L, failed.result().get(new Ref("scores", "first", "first"), Rows.class).get(0).get("v"),
                "the stage of the failed run was aborted: the previous commit is what readers see");

        FlowRunRecord back = kit.run(scores(1, false), mini);
        assertEquals(Set.of("first", "second"), back.cacheHits(), "the old cache entries survived the failed run");
    }

    @Test
    void downstreamOfAFailedTaskIsSkippedAndIndependentStagesStillCommit() {
        Flow flow = Flow.define("partial", f -> {
            Stage a = f.stage("a");
            Ref bad = a.task("bad").produces(ctx -> {
                throw new IllegalArgumentException("no data");
            }).ref();
            Stage b = f.stage("b");
            b.task("after_bad").input("x", bad).produces(ctx -> 1);
            Stage c = f.stage("c");
            c.task("independent").produces(ctx -> Table.of(Rows.builder("v").add(1L).build()));
        });
        FlowRunRecord run = kit.run(flow, mini);
        assertFalse(run.successful());
        assertEquals(TaskState.SKIPPED, run.task("after_bad").state());
        assertEquals("upstream-failed (a/bad)", run.task("after_bad").reason());
        assertFalse(run.committedStages().contains("b"), "a stage missing a skipped task's table is not committed");
        assertEquals(TaskState.COMPLETED, run.task("independent").state());
        assertTrue(run.committedStages().contains("c"));
    }

    @Test
    void taskReturningTheWrongShapeFailsWithASentenceSayingWhatWasExpected() {
        Flow flow = Flow.define("shapes", f -> f.stage("s").task("bare_rows")
                .produces(ctx -> Rows.builder("a").add(1L).build()));
        FlowRunRecord run = kit.run(flow, mini);
        String error = run.task("bare_rows").error();
        assertTrue(error.contains("task 'bare_rows'") && error.contains("wrap it as Table.of(value)"), error);
    }

    @Test
    void wrongNumberOfOutputsNamesTheDeclaredOutputs() {
        Flow flow = Flow.define("shapes", f -> f.stage("s").task("two").outputs("x", "y")
                .produces(ctx -> Table.of(Rows.builder("a").add(1L).build())));
        String error = kit.run(flow, mini).task("two").error();
        assertTrue(error.contains("returned 1 outputs but declares 2 [x, y]"), error);
    }

    @Test
    void sqlErrorCarriesTheStatementAndTheTask() {
        Flow flow = Flow.define("sql", f -> f.stage("s").task("broken").lazy()
                .produces(ctx -> Table.of(Sql.of("SELECT no_such_column FROM (SELECT 1 AS x)"))));
        FlowRunRecord run = kit.run(flow, mini);
        String error = run.task("broken").error();
        assertTrue(error.contains("task 'broken'") && error.contains("no_such_column"), error);
        assertTrue(error.contains("SQL:"), error);
    }

    @Test
    void missingInputTableOfAnUnselectedTaskIsReportedWithTheTable() {
        Flow flow = Flow.define("missing", f -> {
            Stage s = f.stage("s");
            Ref never = s.task("never_ran").produces(ctx -> Table.of(Rows.builder("a").add(1L).build())).ref();
            Stage t = f.stage("t");
            t.task("reader").input("x", never, Rows.class).produces(ctx -> ctx.input("x", Rows.class).size());
        });
        FlowRunRecord run = kit.run(flow, mini, dev.weir.engine.RunOptions.defaults().only("t"));
        assertFalse(run.successful());
        String error = run.task("reader").error();
        assertTrue(error.contains("task 'reader'") && error.contains("never_ran"), error);
    }

    @Test
    void identifiersThatNeedQuotingWork() {
        Flow flow = Flow.define("quoting", f -> {
            Stage s = f.stage("Sales-2024 \"Q1\"");
            Ref order = s.task("select").produces(ctx -> Table.of(Rows.builder("Order", "a-b", "it's").add(1L, 2L, 3L)
                    .build(), "Order")).ref();
            s.task("from").sql("SELECT \"Order\" + \"a-b\" + \"it's\" AS \"total\" FROM {o}", Map.of("o", order));
        });
        FlowRunRecord run = kit.run(flow, mini);
        assertTrue(run.successful(), () -> run.result().toJson());
        assertEquals(6L, ((Number) run.result().get(new Ref("Sales-2024 \"Q1\"", "from", "from"), Rows.class).get(0)
                .get("total")).longValue());
    }

    @Test
    void stagesReadingEachOtherBothWaysAreRejectedAsACycle() {
        FlowDefinitionException e = assertThrows(FlowDefinitionException.class, () -> Flow.define("cycle", f -> {
            Stage a = f.stage("a");
            Stage b = f.stage("b");
            Ref x = a.task("x").produces(ctx -> 1).ref();
            Ref y = b.task("y").input("x", x).produces(ctx -> 2).ref();
            a.task("z").input("y", y).produces(ctx -> 3);
        }));
        assertTrue(e.getMessage().contains("cycle"), e.getMessage());
    }

    @Test
    void transientStoreFailuresAreRetriedWithBackoff() {
        AtomicInteger attempts = new AtomicInteger();
        Flow flow = Flow.define("flaky", f -> f.stage("s").task("flaky").produces(ctx -> {
            if (attempts.incrementAndGet() < 3) {
                throw new StoreException("connection reset", null, true, null);
            }
            return Table.of(Rows.builder("a").add(1L).build());
        }));
        FlowRunRecord run = kit.run(flow, mini);
        assertTrue(run.successful(), () -> run.result().toJson());
        assertEquals(3, run.task("flaky").attempts());
    }

    @Test
    void permanentFailuresAreNotRetried() {
        AtomicInteger attempts = new AtomicInteger();
        Flow flow = Flow.define("permanent", f -> f.stage("s").task("bad").produces(ctx -> {
            attempts.incrementAndGet();
            throw new StoreException("syntax error", "SELEC 1", false, null);
        }));
        kit.run(flow, mini);
        assertEquals(1, attempts.get());
    }
}
