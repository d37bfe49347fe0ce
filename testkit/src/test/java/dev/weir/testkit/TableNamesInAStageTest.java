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

    private static Flow flow(boolean second, String secondTable) {
        return Flow.define("names", f -> {
            Stage s = f.stage("s");
            s.task("first").version("1").produces(ctx -> Table.of(Rows.builder("who").add("first").build(), "same"));
            if (second) {
                s.task("second").version("1")
                        .produces(ctx -> Table.of(Rows.builder("who").add("second").build(), secondTable));
            }
        });
    }

    @Test
    void twoTasksOfAStageReturningTablesOfOneNameFailTheOneThatCameSecond() {
        try (FlowTestKit kit = FlowTestKit.create(dir)) {
            InstanceConfig instance = instance(kit);
            FlowRunRecord run = kit.run(flow(true, "same"), instance);

            assertFalse(run.successful());
            assertEquals(1, run.failedIds().size(), () -> run.result().toJson());
            TaskId failed = run.failedIds().iterator().next();
            String other = failed.name().equals("first") ? "second" : "first";
            String error = run.result().task(failed).orElseThrow().error();
            assertTrue(error.contains("table 'same' of stage 's'") && error.contains("task '" + other + "'"), error);

            FlowRunRecord renamed = kit.run(flow(true, "other"), instance);
            assertTrue(renamed.successful(), () -> renamed.result().toJson());
            assertEquals("first", renamed.result().get(Ref.of("s", "first"), Rows.class).get(0).get("who"));
            assertEquals("second", renamed.result().get(Ref.of("s", "second"), Rows.class).get(0).get("who"));
        }
    }

    @Test
    void aNewTaskCannotTakeTheTableOfACacheHitOfItsStage() {
        try (FlowTestKit kit = FlowTestKit.create(dir)) {
            InstanceConfig instance = instance(kit);
            assertTrue(kit.run(flow(false, null), instance).successful());

            FlowRunRecord run = kit.run(flow(true, "same"), instance);

            assertEquals(Set.of(new TaskId("s", "second")), run.failedIds(), () -> run.result().toJson());
            String error = run.result().task("s", "second").orElseThrow().error();
            assertTrue(error.contains("table 'same' of stage 's'") && error.contains("task 'first'"), error);
            FlowRunRecord before = kit.run(flow(false, null), instance);
            assertEquals("first", before.result().get(Ref.of("s", "first"), Rows.class).get(0).get("who"));
        }
    }
}
