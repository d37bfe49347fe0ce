package dev.weir.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.weir.engine.Flow;
import dev.weir.engine.Ref;
import dev.weir.engine.Stage;
import dev.weir.engine.Table;
import dev.weir.engine.TaskId;
import dev.weir.engine.config.InstanceConfig;
import dev.weir.engine.data.Rows;
import java.nio.file.Path;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two tasks of a stage cannot write tables of one name: the second is refused, naming the table and the first,
 * rather than overwriting its table. Subclasses pick the store.
 */
abstract class TableNamesInAStageTest {

    @TempDir
    Path dir;

    protected abstract InstanceConfig instance(FlowTestKit kit);

    /** Task 'first' returns table {@code firstTable}; task 'second', unless {@code secondTable} is null, its own. */
    private static Flow flow(String firstTable, String secondTable) {
        return Flow.define("names", f -> {
            Stage s = f.stage("s");
            s.task("first").version("1").produces(ctx -> Table.of(Rows.builder("who").add("first").build(), firstTable));
            if (secondTable != null) {
                s.task("second").version("1")
                        .produces(ctx -> Table.of(Rows.builder("who").add("second").build(), secondTable));
            }
        });
    }

    /**
     * 'second' returns table 'same'; 'first' runs after it (it reads it), returns {@code firstTable}, and fails
     * when {@code firstFails}.
     */
    private static Flow chained(String firstTable, boolean firstFails) {
        return Flow.define("names", f -> {
            Stage s = f.stage("s");
            Ref second = s.task("second").version("1")
                    .produces(ctx -> Table.of(Rows.builder("who").add("second").build(), "same")).ref();
            s.task("first").version("1").input("before", second, Rows.class).produces(ctx -> {
                if (firstFails) {
                    throw new IllegalStateException("first fails on purpose");
                }
                return Table.of(Rows.builder("who").add("first").build(), firstTable);
            });
        });
    }

    @Test
    void twoTasksOfAStageReturningTablesOfOneNameFailTheOneThatCameSecond() {
        try (FlowTestKit kit = FlowTestKit.create(dir)) {
            InstanceConfig instance = instance(kit);
            FlowRunRecord run = kit.run(flow("same", "same"), instance);

            assertFalse(run.successful());
            assertEquals(1, run.failedIds().size(), () -> run.result().toJson());
            TaskId failed = run.failedIds().iterator().next();
            String other = failed.name().equals("first") ? "second" : "first";
            String error = run.result().task(failed).orElseThrow().error();
            assertTrue(error.contains("table 'same' of stage 's'") && error.contains("task '" + other + "'"), error);

            // the task that wrote 'same' resumes with it; the refused one gets a table of its own
            boolean firstRefused = failed.name().equals("first");
            FlowRunRecord renamed = kit.run(flow(firstRefused ? "other" : "same", firstRefused ? "same" : "other"),
                    instance);
            assertTrue(renamed.successful(), () -> renamed.result().toJson());
            assertEquals("first", renamed.result().get(Ref.of("s", "first"), Rows.class).get(0).get("who"));
            assertEquals("second", renamed.result().get(Ref.of("s", "second"), Rows.class).get(0).get("who"));
        }
    }

    @Test
    void aTaskCannotTakeTheTableOfATaskResumedFromAFailedAttemptOfItsStage() {
        try (FlowTestKit kit = FlowTestKit.create(dir)) {
            InstanceConfig instance = instance(kit);
            FlowRunRecord failed = kit.run(chained("same", true), instance);
            assertEquals(Set.of(new TaskId("s", "first")), failed.failedIds(), () -> failed.result().toJson());

            // 'second' resumes with its table 'same'; 'first', fixed, would overwrite it with its own rows
            FlowRunRecord run = kit.run(chained("same", false), instance);

            assertEquals(Set.of(new TaskId("s", "first")), run.failedIds(), () -> run.result().toJson());
            String error = run.result().task("s", "first").orElseThrow().error();
            assertTrue(error.contains("table 'same' of stage 's'") && error.contains("task 'second'"), error);
            FlowRunRecord renamed = kit.run(chained("mine", false), instance);
            assertTrue(renamed.successful(), () -> renamed.result().toJson());
            assertEquals("second", renamed.result().get(Ref.of("s", "second"), Rows.class).get(0).get("who"),
                    "the resumed task's table holds its own rows");
            assertEquals("first", renamed.result().get(Ref.of("s", "first"), Rows.class).get(0).get("who"));
        }
    }

    @Test
    void aNewTaskCannotTakeTheTableOfACacheHitOfItsStage() {
        try (FlowTestKit kit = FlowTestKit.create(dir)) {
            InstanceConfig instance = instance(kit);
            assertTrue(kit.run(flow("same", null), instance).successful());

            FlowRunRecord run = kit.run(flow("same", "same"), instance);

            assertEquals(Set.of(new TaskId("s", "second")), run.failedIds(), () -> run.result().toJson());
            String error = run.result().task("s", "second").orElseThrow().error();
            assertTrue(error.contains("table 'same' of stage 's'") && error.contains("task 'first'"), error);
            FlowRunRecord before = kit.run(flow("same", null), instance);
            assertEquals("first", before.result().get(Ref.of("s", "first"), Rows.class).get(0).get("who"));
        }
    }
}
