package dev.weir.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.weir.engine.Flow;
import dev.weir.engine.Outputs;
import dev.weir.engine.Ref;
import dev.weir.engine.Sql;
import dev.weir.engine.Table;
import dev.weir.engine.config.InstanceConfig;
import dev.weir.engine.data.Rows;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * A lazy task may return values next to its SQL tables (pipedag's {@code nout=2}): the value is kept like a
 * Java task's value output, its consumers read it, and the task's key covers its queries and its values.
 * On every store: {@link LazyValueOnDuckDbTest}, {@link LazyValueOnPostgresTest}.
 */
abstract class LazyValueTest extends FlowKitTest {

    @Override
    protected abstract InstanceConfig instance(FlowTestKit kit);

    /**
     * raw/orders writes 3 orders; clean/valid (lazy) selects the positive ones and returns {@code limit} as
     * the value {@code n}, plus {@code offset}, which no input carries; report/summary (Java) reads both.
     */
    static Flow flow(long limit) {
        return flow(limit, 0);
    }

    static Flow flow(long limit, long offset) {
        return Flow.define("lazy_values", f -> {
            Ref orders = f.stage("raw").task("orders").version("1")
                    .produces(ctx -> Table.of(Rows.builder("id", "amount").add(1L, 10L).add(2L, -5L).add(3L, 7L)
                            .build(), "orders")).ref();
            var valid = f.stage("clean").task("valid").input("o", orders, Ref.class).constant("limit", limit)
                    .outputs("valid", "n").lazy()
                    .produces(ctx -> Outputs.of(
                            Table.of(Sql.of("SELECT * FROM " + ctx.sqlName("o") + " WHERE amount > 0")),
                            ctx.input("limit", Long.class) + offset));
            f.stage("report").task("summary").version("1")
                    .input("rows", valid.ref("valid"), Rows.class).input("n", valid.ref("n"), Long.class)
                    .produces(ctx -> Table.of(Rows.builder("valid", "n")
                            .add((long) ctx.input("rows", Rows.class).size(), ctx.input("n", Long.class)).build()));
        });
    }

    static long cell(FlowRunRecord run, String column) {
        return ((Number) run.result().get(new Ref("report", "summary", "summary"), Rows.class).get(0).get(column))
                .longValue();
    }

    @Test
    void aLazyTaskValueIsReadByItsConsumerAndFromTheResultAndCached() {
        FlowRunRecord first = kit.run(flow(42), mini);

        assertTrue(first.successful(), () -> first.result().toJson());
        assertEquals(42L, first.result().get(new Ref("clean", "valid", "n"), Long.class));
        assertEquals(2, first.result().get(new Ref("clean", "valid", "valid"), Rows.class).size());
        assertEquals(2, cell(first, "valid"));
        assertEquals(42, cell(first, "n"));

        FlowRunRecord again = kit.run(flow(42), mini);
        assertEquals(Set.of("orders", "valid", "summary"), again.cacheHits(), () -> again.result().toJson());
        assertEquals(42L, again.result().get(new Ref("clean", "valid", "n"), Long.class));
        assertEquals(42, cell(again, "n"));
    }

    @Test
    void aChangedValueRerunsTheLazyTaskAndItsConsumer() {
        kit.run(flow(42), mini);

        FlowRunRecord changed = kit.run(flow(7), mini);

        assertTrue(changed.successful(), () -> changed.result().toJson());
        assertEquals(Set.of("valid", "summary"), changed.ran(), () -> changed.result().toJson());
        assertEquals(7L, changed.result().get(new Ref("clean", "valid", "n"), Long.class));
        assertEquals(7, cell(changed, "n"));

        FlowRunRecord same = kit.run(flow(7), mini);
        assertEquals(Set.of("orders", "valid", "summary"), same.cacheHits(), () -> same.result().toJson());
    }

    @Test
    void theKeyOfALazyTaskCoversItsValuesNotOnlyItsQueriesAndInputs() {
        kit.run(flow(42), mini);

        FlowRunRecord changed = kit.run(flow(42, 1), mini);

        assertEquals(Set.of("valid", "summary"), changed.ran(), () -> changed.result().toJson());
        assertEquals(43L, changed.result().get(new Ref("clean", "valid", "n"), Long.class));
        assertEquals(43, cell(changed, "n"));
    }

    @Test
    void aLazyTaskStillRefusesInMemoryData() {
        Flow flow = Flow.define("lazy_rows", f -> f.stage("s").task("t").outputs("t", "n").lazy()
                .produces(ctx -> Outputs.of(Table.of(Rows.builder("x").add(1L).build()), 1)));

        FlowRunRecord run = kit.run(flow, mini);

        assertFalse(run.successful());
        String message = run.result().failure().orElseThrow().getMessage();
        assertTrue(message.contains("output 't' is a Table of Rows") && message.contains("drop lazy()"), message);
    }
}
