package dev.weir.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.weir.engine.Flow;
import dev.weir.engine.Ref;
import dev.weir.engine.Result;
import dev.weir.engine.Stage;
import dev.weir.engine.Table;
import dev.weir.engine.TaskState;
import dev.weir.engine.config.InstanceConfig;
import dev.weir.engine.config.InstanceConfig.InlineMode;
import dev.weir.engine.data.ArrowTable;
import dev.weir.engine.data.Rows;
import java.util.Map;
import java.util.Set;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Inline tables (pipedag #163): handed over in memory, never written to the store, and the cache stays
 * right. Runs on every store: {@link InlineTableOnDuckDbTest} and {@link InlineTableOnPostgresTest}.
 */
abstract class InlineTableTest extends FlowKitTest {

    /** The instance the tests run on, in {@code kit}. */
    @Override
    protected abstract InstanceConfig instance(FlowTestKit kit);


    static Rows numbers(int n) {
        Rows.Builder b = Rows.builder("n");
        for (long i = 1; i <= n; i++) {
            b.add(i);
        }
        return b.build();
    }

    static Table plusOne(ArrowTable in, UnaryOperator<Table> hint) {
        Rows rows = Rows.fromArrow(in).map(r -> r.map((c, v) -> (Long) v + 1));
        return hint.apply(Table.of(rows));
    }

    /** source -> a -> b -> c (materialized): a chain whose first three outputs carry the inline hint. */
    static Flow chain(Map<String, String> versions) {
        return Flow.define("chain", f -> {
            Stage s = f.stage("s");
            Ref src = s.task("source").version(versions.getOrDefault("source", "1"))
                    .produces(ctx -> Table.of(numbers(1000)).inline()).ref();
            Ref a = s.task("a").version(versions.getOrDefault("a", "1")).input("in", src, ArrowTable.class)
                    .produces(ctx -> plusOne(ctx.input("in", ArrowTable.class), Table::inline)).ref();
            Ref b = s.task("b").version(versions.getOrDefault("b", "1")).input("in", a, ArrowTable.class)
                    .produces(ctx -> plusOne(ctx.input("in", ArrowTable.class), Table::inline)).ref();
            Stage out = f.stage("out");
            out.task("c").version(versions.getOrDefault("c", "1")).input("in", b, ArrowTable.class)
                    .produces(ctx -> plusOne(ctx.input("in", ArrowTable.class), t -> t));
        });
    }

    private static boolean inStore(Result result, Ref ref) {
        try {
            result.get(ref, String.class);
            return true;
        } catch (IllegalArgumentException inlined) {
            return false;
        }
    }

    @ParameterizedTest(name = "{0} with hint {1}: inlined = {2}")
    @CsvSource({
        "DEFAULT_TRUE, none, true", "DEFAULT_TRUE, true, true", "DEFAULT_TRUE, false, false",
        "DEFAULT_FALSE, none, false", "DEFAULT_FALSE, true, true", "DEFAULT_FALSE, false, false",
        "FORCE_TRUE, none, true", "FORCE_TRUE, true, true", "FORCE_TRUE, false, true",
        "FORCE_FALSE, none, false", "FORCE_FALSE, true, false", "FORCE_FALSE, false, false"})
    void instanceModeAndTableHintDecideWhetherAnOutputIsInlined(InlineMode mode, String hint, boolean inlined) {
        Flow flow = Flow.define("modes", f -> {
            Stage s = f.stage("s");
            Ref p = s.task("producer").produces(ctx -> {
                Table t = Table.of(numbers(10));
                return switch (hint) {
                    case "true" -> t.inline();
                    case "false" -> t.notInline();
                    default -> t;
                };
            }).ref();
            s.task("consumer").input("in", p, Rows.class).produces(ctx -> (long) ctx.input("in", Rows.class).size());
        });
        FlowRunRecord run = kit.run(flow, mini.withInline(mode));
        assertTrue(run.successful(), () -> run.result().toJson());
        assertEquals(10L, run.result().get(new Ref("s", "consumer", "consumer"), Long.class));
        assertEquals(!inlined, inStore(run.result(), new Ref("s", "producer", "producer")));
    }

    @Test
    void aChainOfInlinedTasksEndsInAMaterializedTable() {
        FlowRunRecord run = kit.run(chain(Map.of()), mini);
        assertTrue(run.successful(), () -> run.result().toJson());
        Rows c = run.result().get(new Ref("out", "c", "c"), Rows.class);
        assertEquals(1000, c.size());
        assertEquals(4L, c.get(0).get("n"));
        assertTrue(inStore(run.result(), new Ref("out", "c", "c")));
        for (String task : new String[] {"source", "a", "b"}) {
            assertFalse(inStore(run.result(), new Ref("s", task, task)), task + " must not be in the store");
        }
    }

    @Test
    void resultGetReadsAnInlinedTableFromMemory() {
        FlowRunRecord run = kit.run(chain(Map.of()), mini);
        Rows b = run.result().get(new Ref("s", "b", "b"), Rows.class);
        assertEquals(3L, b.get(0).get("n"));
    }

    @Test
    void consumersThatHitTheCacheDoNotForceTheirInlinedProducers() {
        kit.run(chain(Map.of()), mini);
        FlowRunRecord again = kit.run(chain(Map.of()), mini);
        assertEquals(Set.of("source", "a", "b", "c"), again.cacheHits());
    }

    @Test
    void aConsumerThatMustRunForcesItsInlinedProducersUpTheChain() {
        kit.run(chain(Map.of()), mini);
        FlowRunRecord bumped = kit.run(chain(Map.of("c", "2")), mini);
        assertTrue(bumped.successful(), () -> bumped.result().toJson());
        assertEquals(Set.of("source", "a", "b", "c"), bumped.ran());
        assertEquals("version-changed 1 -> 2", bumped.task("c").reason());
        assertEquals("inline-producer-for out/c", bumped.task("b").reason());
        assertEquals("inline-producer-for s/b", bumped.task("a").reason());
        assertEquals("inline-producer-for s/a", bumped.task("source").reason());
        FlowRunRecord after = kit.run(chain(Map.of("c", "2")), mini);
        assertEquals(4, after.cacheHits().size(), "forced producers keep their keys: everything is valid again");
    }

    @Test
    void aLazyConsumerRejectsTheHintAndTheOutputIsMaterialized() {
        Flow flow = Flow.define("lazy", f -> {
            Stage s = f.stage("s");
            Ref p = s.task("producer").produces(ctx -> Table.of(numbers(5)).inline()).ref();
            s.task("lazy_consumer").sql("SELECT sum(n) AS total FROM {p}", Map.of("p", p));
        });
        FlowRunRecord run = kit.run(flow, mini.withInline(InlineMode.FORCE_TRUE));
        assertTrue(run.successful(), () -> run.result().toJson());
        assertTrue(inStore(run.result(), new Ref("s", "producer", "producer")));
        assertEquals(15L, ((Number) run.result().get(new Ref("s", "lazy_consumer", "lazy_consumer"), Rows.class).get(0)
                .get("total")).longValue());
    }

    @Test
    void severalConsumersShareOneInlinedTable() {
        Flow flow = Flow.define("fan-out", f -> {
            Stage s = f.stage("s");
            Ref p = s.task("producer").produces(ctx -> Table.of(numbers(100)).inline()).ref();
            for (String name : new String[] {"x", "y", "z"}) {
                s.task(name).input("in", p, ArrowTable.class).produces(ctx -> ctx.input("in", ArrowTable.class).rowCount());
            }
        });
        FlowRunRecord run = kit.run(flow, mini);
        assertTrue(run.successful(), () -> run.result().toJson());
        for (String name : new String[] {"x", "y", "z"}) {
            assertEquals(100L, run.result().get(new Ref("s", name, name), Long.class));
        }
        assertFalse(inStore(run.result(), new Ref("s", "producer", "producer")));
    }

    @Test
    void everyBufferIsFreedAfterTheRunEvenWhenAConsumerFails() {
        Flow flow = Flow.define("failing", f -> {
            Stage s = f.stage("s");
            Ref p = s.task("producer").produces(ctx -> Table.of(numbers(1000)).inline()).ref();
            s.task("ok").input("in", p, ArrowTable.class).produces(ctx -> ctx.input("in", ArrowTable.class).rowCount());
            s.task("boom").input("in", p, Rows.class).produces(ctx -> {
                throw new IllegalStateException("consumer failed");
            });
        });
        FlowRunRecord run = kit.run(flow, mini);
        assertEquals(TaskState.FAILED, run.task("boom").state());
        run.result().close();
        assertEquals(0, kit.allocator().getAllocatedMemory(), "no Arrow memory is left once the result is closed");
    }

    @Test
    void aClosedResultNoLongerHoldsInlinedTables() {
        FlowRunRecord run = kit.run(chain(Map.of()), mini);
        run.result().close();
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> run.result().get(new Ref("s", "b", "b"), Rows.class));
        assertTrue(e.getMessage().contains("inlined"), e.getMessage());
    }
}
