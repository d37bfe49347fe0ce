package dev.weir.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import dev.weir.engine.Flow;
import dev.weir.engine.Ref;
import dev.weir.engine.RunEvent;
import dev.weir.engine.RunOptions;
import dev.weir.engine.Stage;
import dev.weir.engine.Table;
import dev.weir.engine.TaskState;
import dev.weir.engine.config.InstanceConfig;
import dev.weir.engine.data.Rows;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The cache rules (README): what a task's key holds, when a task reruns, what {@code only} does. A
 * wrong cache hit is the worst bug a run can have, so each rule is checked on every store:
 * {@link CacheRulesOnDuckDbTest} and {@link CacheRulesOnPostgresTest}.
 */
abstract class CacheRulesTest extends FlowKitTest {

    @Override
    protected abstract InstanceConfig instance(FlowTestKit kit);

    static Rows orders(int n, long factor) {
        Rows.Builder rows = Rows.builder("order_id", "amount");
        for (long i = 1; i <= n; i++) {
            rows.add(i, i * factor);
        }
        return rows.build();
    }

    /** Flow {@code name}: raw/orders writes {@code n} orders; report/total sums them. */
    static Flow ordersFlow(String name, int n) {
        return Flow.define(name, f -> {
            Ref orders = f.stage("raw").task("orders").version("1")
                    .produces(ctx -> Table.of(orders(n, 1), "orders")).ref();
            f.stage("report").task("total").sql("SELECT count(*) AS n FROM {o}", Map.of("o", orders));
        });
    }

    @Test
    void aFlowIsNeverACacheHitOnAnotherFlowsTasksOfTheSameNames() {
        assertTrue(kit.run(ordersFlow("big", 50), mini).successful());

        FlowRunRecord small = kit.run(ordersFlow("small", 12), mini);

        assertNotEquals(TaskState.CACHE_VALID, small.task("orders").state(), () -> small.result().toJson());
        assertNotEquals(TaskState.CACHE_VALID, small.task("total").state());
        if (small.successful()) { // a run may also refuse a stage another flow committed
            assertEquals(12L, ((Number) small.result().get(new Ref("report", "total", "total"), Rows.class)
                    .get(0).get("n")).longValue());
        }
    }

    /** p (stage s1) scales its orders by a constant; c (stage s2) sums them. */
    static Flow producerConsumer(long factor) {
        return Flow.define("subset", f -> {
            Ref p = f.stage("s1").task("p").version("1").constant("factor", factor)
                    .produces(ctx -> Table.of(orders(4, ctx.input("factor", Long.class)), "orders")).ref();
            f.stage("s2").task("c").version("1").input("orders", p, Rows.class).produces(ctx -> Table.of(
                    Rows.builder("total").add(ctx.input("orders", Rows.class).stream()
                            .mapToLong(r -> ((Number) r.get("amount")).longValue()).sum()).build()));
        });
    }

    private long total(FlowRunRecord run) {
        return ((Number) run.result().get(new Ref("s2", "c", "c"), Rows.class).get(0).get("total")).longValue();
    }

    @Test
    void aSubsetRunKeysItsConsumerByTheProducerOutputItRead() {
        kit.run(producerConsumer(1), mini);

        FlowRunRecord subset = kit.run(producerConsumer(2), mini, RunOptions.defaults().only("c"));
        assertEquals(Set.of("c"), subset.ran(), () -> subset.result().toJson());
        assertEquals(10, total(subset), "c reads p's committed table, made with factor 1");

        FlowRunRecord full = kit.run(producerConsumer(2), mini);
        assertTrue(full.successful(), () -> full.result().toJson());
        assertEquals(Set.of("p", "c"), full.ran(), "c read p's old table, so it is no hit once p reruns");
        assertEquals(20, total(full));
    }

    /** load_orders writes {@code n} orders as its output {@code load_orders}, in the table {@code orders}. */
    static Flow tableNamedApart(int n) {
        return Flow.define("names", f -> {
            Ref load = f.stage("raw").task("load_orders").version("1").constant("n", n)
                    .produces(ctx -> Table.of(orders(ctx.input("n", Integer.class), 1), "orders")).ref();
            f.stage("clean").task("count").version("1").input("o", load, Rows.class)
                    .produces(ctx -> (long) ctx.input("o", Rows.class).size());
        });
    }

    @Test
    void aConsumerOfALeftOutProducerReadsTheTableItsCommittedEntryNames() {
        kit.run(tableNamedApart(3), mini);

        FlowRunRecord subset = kit.run(tableNamedApart(5), mini, RunOptions.defaults().only("count"));

        assertTrue(subset.successful(), () -> subset.result().toJson());
        assertEquals(3L, subset.result().get(new Ref("clean", "count", "count"), Long.class));
    }

    /** a lazy task over two inputs bound through a map in the given order, with set and map constants. */
    static Flow bindingOrder(List<String> order) {
        return Flow.define("order", f -> {
            Stage raw = f.stage("raw");
            Map<String, Ref> refs = new LinkedHashMap<>();
            for (String name : order) {
                refs.put(name, raw.task(name).version("1").produces(ctx -> Table.of(orders(2, 1))).ref());
            }
            Set<String> tags = new LinkedHashSet<>(order);
            Map<String, Integer> weights = new LinkedHashMap<>();
            order.forEach(n -> weights.put(n, n.length()));
            Stage report = f.stage("report");
            report.task("joined").sql("SELECT * FROM {a} UNION ALL SELECT * FROM {b}", refs);
            report.task("tagged").version("1").constant("tags", tags).constant("weights", weights)
                    .produces(ctx -> (long) ctx.input("tags", Set.class).size());
        });
    }

    @Test
    void keysDoNotDependOnTheOrderInputsOrSetAndMapConstantsWereGivenIn() {
        assertTrue(kit.run(bindingOrder(List.of("a", "b")), mini).successful());

        FlowRunRecord again = kit.run(bindingOrder(List.of("b", "a")), mini);

        assertEquals(Set.of("a", "b", "joined", "tagged"), again.cacheHits(), () -> again.result().toJson());
    }

    @Test
    void aJavaTaskWithoutAVersionAlwaysRunsAndSoDoItsConsumers() {
        Flow flow = Flow.define("unversioned", f -> {
            Ref raw = f.stage("raw").task("load").produces(ctx -> Table.of(orders(3, 1))).ref();
            Stage report = f.stage("report");
            report.task("lazy_count").sql("SELECT count(*) AS n FROM {o}", Map.of("o", raw));
            report.task("fixed").sql("SELECT 1 AS one", Map.of());
        });
        kit.run(flow, mini);

        FlowRunRecord again = kit.run(flow, mini);

        assertEquals(Set.of("load", "lazy_count"), again.ran(), () -> again.result().toJson());
        assertEquals("no-version", again.task("load").reason());
        assertEquals(Set.of("fixed"), again.cacheHits(), "a lazy task is cached by its query, version or not");
    }

    @Test
    void aCombinedTaskWithAnInnerTaskWithoutAVersionAlwaysRuns() {
        dev.weir.engine.combine.TaskSpec read = dev.weir.engine.combine.TaskSpec.named("read")
                .produces(ctx -> Table.of(orders(3, 1)));
        dev.weir.engine.combine.TaskSpec write = dev.weir.engine.combine.TaskSpec.named("write").version("1")
                .takes("orders").produces(ctx -> Table.of(ctx.input("orders", Rows.class), "orders"));
        Flow flow = Flow.define("combined", f -> f.stage("raw").task("migrate").version("1").combine(read, write));
        kit.run(flow, mini);

        FlowRunRecord again = kit.run(flow, mini);

        assertEquals(Set.of("migrate"), again.ran(), () -> again.result().toJson());
        assertEquals("no-version", again.task("migrate").reason());
    }

    @Test
    void ignoreTaskVersionRerunsEveryVersionedTask() {
        Flow flow = Flow.define("ignore", f -> {
            Ref raw = f.stage("raw").task("load").version("1").produces(ctx -> Table.of(orders(3, 1))).ref();
            f.stage("report").task("lazy_count").sql("SELECT count(*) AS n FROM {o}", Map.of("o", raw));
            f.stage("other").task("fixed").sql("SELECT 1 AS one", Map.of());
        });
        kit.run(flow, mini);

        FlowRunRecord run = kit.run(flow, mini, RunOptions.defaults().cacheValidation(
                new InstanceConfig.CacheValidation(InstanceConfig.CacheValidation.Mode.NORMAL, true, false)));

        assertEquals("forced (ignore-task-version)", run.task("load").reason());
        assertEquals(Set.of("load", "lazy_count"), run.ran(), "the consumer of a rerun table reruns");
        assertEquals(Set.of("fixed"), run.cacheHits(), "a task without a version is not forced");
    }

    @Test
    void aTaskNamedInOnlyRunsEvenWhenItsCacheIsValid() {
        Flow flow = producerConsumer(1);
        kit.run(flow, mini);

        FlowRunRecord subset = kit.run(flow, mini, RunOptions.defaults().only("p"));

        assertEquals(Set.of("p"), subset.ran(), () -> subset.result().toJson());
        assertEquals("selected", subset.task("p").reason());
        assertEquals(Set.of("c"), subset.skipped());
        assertEquals(Set.of("p", "c"), kit.run(flow, mini).cacheHits(), "rerunning p with the same inputs kept c valid");
    }

    @Test
    void aStageNamedInOnlyRunsItsTasksWithTheNormalCacheChecks() {
        kit.run(producerConsumer(1), mini);

        FlowRunRecord stage = kit.run(producerConsumer(1), mini, RunOptions.defaults().only("s2"));

        assertEquals(Set.of("c"), stage.cacheHits(), () -> stage.result().toJson());
        assertEquals(Set.of("p"), stage.skipped());
    }

    /** count returns a number that does not depend on its version; doubled reads it. */
    static Flow valueFlow(String version, long value) {
        return Flow.define("values", f -> {
            Stage s = f.stage("s");
            Ref count = s.task("count").version(version).produces(ctx -> value).ref();
            f.stage("t").task("doubled").version("1").input("n", count, Long.class)
                    .produces(ctx -> Table.of(Rows.builder("n").add(2 * ctx.input("n", Long.class)).build()));
        });
    }

    @Test
    void aRerunThatProducesTheSameValueKeepsItsConsumersValid() {
        kit.run(valueFlow("1", 21), mini);

        FlowRunRecord same = kit.run(valueFlow("2", 21), mini);
        assertEquals(Set.of("count"), same.ran(), () -> same.result().toJson());
        assertEquals(Set.of("doubled"), same.cacheHits());
        RunEvent.RunStarted started = (RunEvent.RunStarted) same.events().stream()
                .filter(e -> e instanceof RunEvent.RunStarted).findFirst().orElseThrow();
        assertEquals(1, started.toDecide(), "doubled is decided once count's value is known");

        FlowRunRecord changed = kit.run(valueFlow("3", 50), mini);
        assertEquals(Set.of("count", "doubled"), changed.ran());
        assertEquals(100L, changed.result().get(new Ref("t", "doubled", "doubled"), Rows.class).get(0).get("n"));
    }

    @Test
    void instanceAttrsThatTasksReadArePartOfTheirKey() {
        Flow flow = Flow.define("attrs", f -> f.stage("s").task("limit").version("1")
                .produces(ctx -> Table.of(orders(ctx.attrs().getInt("orders"), 1))));
        kit.run(flow, mini.withAttrs(ConfigFactory.parseMap(Map.of("orders", 2))));

        FlowRunRecord more = kit.run(flow, mini.withAttrs(ConfigFactory.parseMap(Map.of("orders", 5))));

        assertEquals(Set.of("limit"), more.ran());
        assertEquals(5, more.result().get(new Ref("s", "limit", "limit"), Rows.class).size());
    }
}
