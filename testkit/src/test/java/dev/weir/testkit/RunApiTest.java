package dev.weir.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.weir.engine.Flow;
import dev.weir.engine.Outputs;
import dev.weir.engine.Ref;
import dev.weir.engine.Result;
import dev.weir.engine.RunOptions;
import dev.weir.engine.Stage;
import dev.weir.engine.Table;
import dev.weir.engine.TaskHandle;
import dev.weir.engine.TaskState;
import dev.weir.engine.data.Rows;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Small things a user of the run API meets: tasks returning null, options reused across runs, names the
 * store cannot hold. Runs on every store: {@link RunApiOnDuckDbTest} and {@link RunApiOnPostgresTest}.
 */
abstract class RunApiTest extends FlowKitTest {

    final AtomicInteger calls = new AtomicInteger();

    // ------------------------------------------------------------------ a task may return null

    Flow nullProducer() {
        return Flow.define("nulls", f -> {
            Stage s = f.stage("values");
            Ref nothing = s.task("nothing").version("1").produces(ctx -> {
                calls.incrementAndGet();
                return null;
            }).ref();
            TaskHandle pair = s.task("pair").version("1").outputs("none", "one")
                    .produces(ctx -> Outputs.of(null, 1L));
            s.task("reader").version("1").input("nothing", nothing, Long.class).input("none", pair.ref("none"), String.class)
                    .produces(ctx -> "read " + ctx.input("nothing", Long.class) + " and " + ctx.input("none", String.class));
        });
    }

    @Test
    void aTaskReturningNullKeepsANullValueThatItsConsumersRead() {
        FlowRunRecord first = kit.run(nullProducer(), mini);

        assertTrue(first.successful(), () -> first.result().toJson());
        assertEquals("read null and null", first.result().get(new Ref("values", "reader", "reader"), String.class));
        assertNull(first.result().get(new Ref("values", "nothing", "nothing"), Long.class));
        assertNull(first.result().get(new Ref("values", "pair", "none"), String.class));
        assertEquals(1L, first.result().get(new Ref("values", "pair", "one"), Long.class));
    }

    @Test
    void aNullValueIsCachedLikeAnyValue() {
        kit.run(nullProducer(), mini);
        FlowRunRecord again = kit.run(nullProducer(), mini);

        assertEquals(Set.of("nothing", "pair", "reader"), again.cacheHits());
        assertEquals(1, calls.get());
        assertNull(again.result().get(new Ref("values", "nothing", "nothing"), Long.class));
        assertEquals("read null and null", again.result().get(new Ref("values", "reader", "reader"), String.class));
    }

    // ------------------------------------------------------------------ reading outputs back

    Flow tableAndPair() {
        return Flow.define("outputs", f -> {
            Stage s = f.stage("s");
            s.task("numbers").produces(ctx -> Table.of(Rows.builder("n").add(1L).add(2L).build(), "numbers"));
            s.task("pair").outputs("left", "right").produces(ctx -> Outputs.of(1L, 2L));
        });
    }

    @Test
    void refOfNamesTheOnlyOutputOfATask() {
        FlowRunRecord run = kit.run(tableAndPair(), mini);

        assertTrue(run.successful(), () -> run.result().toJson());
        assertEquals(new Ref("s", "numbers", "numbers"), Ref.of("s", "numbers"));
        assertEquals(2, run.result().get(Ref.of("s", "numbers"), Rows.class).size());
    }

    @Test
    void readingAnOutputATaskDoesNotHaveListsTheOutputsItHas() {
        FlowRunRecord run = kit.run(tableAndPair(), mini);

        IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> run.result().get(Ref.of("s", "pair"), Long.class));
        assertTrue(e.getMessage().contains("task 's/pair' has no output 'pair'")
                && e.getMessage().contains("[left, right]"), e.getMessage());
        IllegalArgumentException table = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> run.result().get(new Ref("s", "numbers", "nums"), Rows.class));
        assertTrue(table.getMessage().contains("its outputs are [numbers]"), table.getMessage());
    }

    @Test
    void readingATaskTheFlowDoesNotHaveListsTheTasksOfItsStageOrTheStages() {
        FlowRunRecord run = kit.run(tableAndPair(), mini);

        IllegalArgumentException task = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> run.result().get(Ref.of("s", "numbrs"), Rows.class));
        assertTrue(task.getMessage().contains("has no task 's/numbrs'")
                && task.getMessage().contains("[numbers, pair]"), task.getMessage());
        IllegalArgumentException stage = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> run.result().get(Ref.of("t", "numbers"), Rows.class));
        assertTrue(stage.getMessage().contains("has no task 't/numbers'") && stage.getMessage().contains("[s]"),
                stage.getMessage());
    }

    @ParameterizedTest
    @org.junit.jupiter.params.provider.ValueSource(classes = {dev.weir.engine.data.ArrowTable.class, String.class})
    void anInputDeclaredAsRowsReadAsAnotherTypeFailsItsTaskNamingBoth(Class<?> readAs) {
        Flow flow = Flow.define("typed", f -> {
            Stage s = f.stage("s");
            Ref numbers = s.task("numbers").produces(ctx -> Table.of(Rows.builder("n").add(1L).build(), "numbers")).ref();
            s.task("reader").input("in", numbers, Rows.class).produces(ctx -> {
                Object read = ctx.input("in", readAs);
                return read instanceof AutoCloseable ? 0L : 1L;
            });
        });

        FlowRunRecord run = kit.run(flow, mini);

        assertFalse(run.successful());
        String error = run.task("s", "reader").error();
        assertTrue(error.contains("task 's/reader' declares input 'in' as Rows but reads it as " + readAs.getSimpleName())
                && error.contains("ctx.input(\"in\", Rows.class)"), error);
    }

    // ------------------------------------------------------------------ options reused

    Flow counting() {
        return Flow.define("counting", f -> f.stage("s").task("t").produces(ctx -> (long) calls.incrementAndGet()));
    }

    @Test
    void oneRunOptionsServesRunsOneAfterAnother() {
        RunOptions options = RunOptions.defaults().only("s");
        List<String> runIds = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            FlowRunRecord run = kit.run(counting(), mini, options);
            assertTrue(run.successful(), () -> run.result().toJson());
            runIds.add(run.result().runId());
        }
        assertEquals(3, Set.copyOf(runIds).size(), "each run gets its own id: " + runIds);
    }

    @Test
    void oneRunOptionsServesRunsAtOnce() throws Exception {
        RunOptions options = RunOptions.defaults();
        CompletableFuture<Result> a = kit.weir().run(counting(), mini, options).toCompletableFuture();
        CompletableFuture<Result> b = kit.weir().run(counting(), mini, options).toCompletableFuture();
        try (Result first = a.get(2, TimeUnit.MINUTES); Result second = b.get(2, TimeUnit.MINUTES)) {
            assertTrue(first.successful() && second.successful(), () -> first.toJson() + second.toJson());
            assertNotEquals(first.runId(), second.runId());
        }
    }

    @Test
    void aRunIdGivenTwiceStillRuns() {
        RunOptions options = RunOptions.defaults().runId("nightly");
        for (int i = 0; i < 2; i++) {
            FlowRunRecord run = kit.run(counting(), mini, options);
            assertTrue(run.successful(), () -> run.result().toJson());
            assertEquals("nightly", run.result().runId());
        }
    }

    // ------------------------------------------------------------------ names the store cannot hold

    /** Output names this store cannot hold as table names. */
    static List<String> unstorableTableNames() {
        return List.of("nul\u0000char");
    }

    /**
     * A first stage whose task and cache function count their calls, then a stage with an output named
     * {@code table}.
     */
    Flow withOutput(String table) {
        return Flow.define("names", f -> {
            Ref first = f.stage("first").task("first").version("1").cache(ctx -> calls.incrementAndGet())
                    .produces(ctx -> {
                        calls.incrementAndGet();
                        return Table.of(Rows.builder("x").add(1L).build());
                    }).ref();
            f.stage("second").task("second").version("1").outputs(table).input("in", first, Rows.class)
                    .produces(ctx -> Table.of(ctx.input("in", Rows.class), table));
        });
    }

    @ParameterizedTest
    @MethodSource("unstorableTableNames")
    void anOutputNameTheStoreCannotHoldFailsTheRunBeforeAnythingRuns(String table) {
        FlowRunRecord run = kit.run(withOutput(table), mini);

        assertFalse(run.successful());
        String message = run.result().failure().orElseThrow().getMessage();
        assertTrue(message.contains("table name"), message);
        assertEquals(0, calls.get(), "neither a cache function nor a task ran");
        assertEquals(run.result().tasks().size(), run.result().count(TaskState.SKIPPED));
        assertTrue(run.committedStages().isEmpty());
    }
}
