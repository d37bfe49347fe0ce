package dev.weir.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.weir.engine.Flow;
import dev.weir.engine.Ref;
import dev.weir.engine.Result;
import dev.weir.engine.Stage;
import dev.weir.engine.Table;
import dev.weir.engine.TaskResult.ChunkState;
import dev.weir.engine.TaskState;
import dev.weir.engine.batch.Batched;
import dev.weir.engine.batch.InvocationHook;
import dev.weir.engine.config.InstanceConfig;
import dev.weir.engine.config.InstanceConfig.InlineMode;
import dev.weir.engine.data.ArrowTable;
import dev.weir.engine.data.Row;
import dev.weir.engine.data.Rows;
import dev.weir.engine.store.StoreException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.arrow.vector.types.FloatingPointPrecision;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.Schema;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.slf4j.LoggerFactory;

/**
 * Batched tasks reading inlined tables: each chunk gets only its rows of the in-memory data, the same
 * rows it reads from the store when the table is materialized, and the table never reaches the store.
 * Runs on every store: {@link BatchedInlineInputOnDuckDbTest} and {@link BatchedInlineInputOnPostgresTest}.
 */
abstract class BatchedInlineInputTest extends FlowKitTest {

    /** The instance the tests run on, in {@code kit}. */
    @Override
    protected abstract InstanceConfig instance(FlowTestKit kit);

    static final Schema ORDERS = new Schema(List.of(
            Field.nullable("order_id", new ArrowType.Int(64, true)),
            Field.nullable("customer_id", new ArrowType.Int(64, true)),
            Field.nullable("amount", new ArrowType.FloatingPoint(FloatingPointPrecision.DOUBLE))));

    /**
     * 3,000 orders of 97 customers, every 10th without a customer; negative customer ids too, so both
     * signs are bucketed. The orders of {@code changed} cost {@code raise} more.
     */
    static Rows orders(long changed, double raise) {
        Rows.Builder b = Rows.builder(ORDERS);
        for (long i = 0; i < 3_000; i++) {
            Long customer = i % 10 == 0 ? null : (i % 97) - 40;
            b.add(i, customer, (double) (i % 13) + (customer != null && customer == changed ? raise : 0));
        }
        return b.build();
    }

    static Rows customers() {
        Rows.Builder b = Rows.builder(new Schema(List.of(Field.nullable("customer_id", new ArrowType.Int(32, true)),
                Field.nullable("name", ArrowType.Utf8.INSTANCE))));
        for (int c = -40; c < 57; c++) {
            b.add(c, "customer " + c);
        }
        b.add(null, "nobody");
        return b.build();
    }

    static Rows score(Rows in) {
        Rows.Builder b = Rows.builder(new Schema(List.of(ORDERS.getFields().get(0), ORDERS.getFields().get(1),
                Field.nullable("score", new ArrowType.FloatingPoint(FloatingPointPrecision.DOUBLE)))));
        for (Row r : in) {
            b.add(r.get("order_id"), r.get("customer_id"), r.getDouble("amount") * 2);
        }
        return b.build();
    }

    static Stream<InvocationHook> hooks() {
        return Stream.of(Batched.hashOf("customer_id", 8), Batched.rangeOf("customer_id", 5),
                Batched.hashOf(List.of("customer_id", "order_id"), 6));
    }

    /** The order ids each chunk call saw. */
    final List<Set<Long>> chunks = new CopyOnWriteArrayList<>();

    /** orders (inline hint) -> score (batched); {@code version} reruns both. */
    Flow scored(InvocationHook hook, String version) {
        return Flow.define("batched-inline", f -> {
            Stage s = f.stage("s");
            Ref orders = s.task("orders").version(version).produces(ctx -> Table.of(orders(-1, 0), "orders").inline())
                    .ref();
            s.task("score").version(version).input("orders", orders, Rows.class).batched(hook).produces(ctx -> {
                Rows chunk = ctx.input("orders", Rows.class);
                chunks.add(chunk.stream().map(r -> r.getLong("order_id")).collect(Collectors.toSet()));
                return Table.of(score(chunk), "scores");
            });
        });
    }

    FlowRunRecord run(Flow flow, InstanceConfig instance) {
        FlowRunRecord run = kit.run(flow, instance);
        assertTrue(run.successful(), () -> run.result().toJson());
        return run;
    }

    static boolean inStore(Result result, Ref ref) {
        try {
            result.get(ref, String.class);
            return true;
        } catch (IllegalArgumentException inlined) {
            return false;
        }
    }

    static Set<List<Object>> rowSet(Rows rows) {
        return rows.stream().map(r -> r.values()).collect(Collectors.toSet());
    }

    /** The chunks as sorted lists of order ids, sorted: equal when two runs split the rows alike. */
    static List<List<Long>> partition(List<Set<Long>> chunks) {
        return chunks.stream().map(c -> c.stream().sorted().toList())
                .sorted(java.util.Comparator.comparing(Object::toString)).toList();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("hooks")
    void chunksOfAnInlinedTableHoldTheRowsTheyReadFromTheStore(InvocationHook hook) {
        FlowRunRecord stored = run(scored(hook, "1"), mini.withInline(InlineMode.FORCE_FALSE));
        assertTrue(inStore(stored.result(), new Ref("s", "orders", "orders")));
        List<List<Long>> fromStore = partition(chunks);
        chunks.clear();

        FlowRunRecord inlined = run(scored(hook, "2"), mini.withInline(InlineMode.FORCE_TRUE));
        assertEquals(Set.of("orders", "score"), inlined.ran());
        assertFalse(inStore(inlined.result(), new Ref("s", "orders", "orders")), "the orders never reach the store");
        assertEquals(fromStore, partition(chunks), "every chunk reads the same rows from memory as from the store");
        assertEquals(3_000, chunks.stream().mapToInt(Set::size).sum(), "each order, NULL customer or not, is read once");

        Ref scores = new Ref("s", "score", "scores");
        assertEquals(rowSet(stored.result().get(scores, Rows.class)), rowSet(inlined.result().get(scores, Rows.class)));
        assertEquals(3_000L, inlined.task("score").rows());
    }

    /**
     * Orders inlined, customers in the store, both split by customer: a chunk finds the customer of
     * each of its orders only if memory and store put equal keys in the same chunk.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("hooks")
    void anInlinedAndAStoredInputMeetInTheSameChunks(InvocationHook hook) {
        if (hook.describe().contains("order_id")) {
            return; // the customers have no order_id to split by
        }
        AtomicInteger matched = new AtomicInteger();
        Flow flow = Flow.define("mixed", f -> {
            Stage s = f.stage("s");
            Ref orders = s.task("orders").produces(ctx -> Table.of(orders(-1, 0), "orders").inline()).ref();
            Ref customers = s.task("customers").produces(ctx -> Table.of(customers(), "customers").notInline()).ref();
            s.task("join").input("orders", orders, ArrowTable.class).input("customers", customers, Rows.class)
                    .batched(hook).produces(ctx -> {
                        Map<Long, String> names = new HashMap<>();
                        ctx.input("customers", Rows.class).forEach(r -> names.put(
                                r.get("customer_id") == null ? null : r.getLong("customer_id"), r.getString("name")));
                        Rows.Builder b = Rows.builder("order_id", "name");
                        for (Row o : Rows.fromArrow(ctx.input("orders", ArrowTable.class))) {
                            Long customer = o.get("customer_id") == null ? null : o.getLong("customer_id");
                            assertTrue(names.containsKey(customer), "customer " + customer + " of order "
                                    + o.get("order_id") + " is not in the chunk's customers " + names.keySet());
                            matched.incrementAndGet();
                            b.add(o.get("order_id"), names.get(customer));
                        }
                        return Table.of(b.build(), "joined");
                    });
        });
        FlowRunRecord run = run(flow, mini);
        assertFalse(inStore(run.result(), new Ref("s", "orders", "orders")));
        assertTrue(inStore(run.result(), new Ref("s", "customers", "customers")));
        assertEquals(3_000, matched.get());
        assertEquals(3_000, run.result().get(new Ref("s", "join", "joined"), Rows.class).size());
    }

    /** orders (inline, cache function {@code generation}) -> score (batched, chunks cached). */
    Flow cachedScores(Rows orders, int generation, AtomicInteger computed) {
        return Flow.define("inline-chunk-cache", f -> {
            Stage s = f.stage("s");
            Ref ref = s.task("orders").version("1").cache(ctx -> generation).produces(ctx -> Table.of(orders, "orders").inline()).ref();
            s.task("score").version("1").input("orders", ref, Rows.class).batched(Batched.hashOf("customer_id", 8).cacheChunks(true))
                    .produces(ctx -> {
                        computed.incrementAndGet();
                        return Table.of(score(ctx.input("orders", Rows.class)), "scores");
                    });
        });
    }

    @Test
    void onlyTheChunkHoldingAChangedCustomerIsComputedWhenItsInputIsInlined() {
        AtomicInteger computed = new AtomicInteger();
        FlowRunRecord first = run(cachedScores(orders(-1, 0), 1, computed), mini);
        assertEquals(8, computed.getAndSet(0));
        assertFalse(inStore(first.result(), new Ref("s", "orders", "orders")));

        Rows changed = orders(5, 100);
        FlowRunRecord second = run(cachedScores(changed, 2, computed), mini);
        assertEquals(Set.of("orders", "score"), second.ran());
        assertFalse(inStore(second.result(), new Ref("s", "orders", "orders")));
        assertEquals(1, computed.get(), "only the chunk holding customer 5 is computed");
        assertEquals(7, second.task("score").chunkCount(ChunkState.CACHED));
        assertEquals(rowSet(score(changed)), rowSet(second.result().get(new Ref("s", "score", "scores"), Rows.class)));

        computed.set(0);
        FlowRunRecord same = run(cachedScores(changed, 3, computed), mini);
        assertEquals(0, computed.get(), "the same rows produced again give the same chunk keys");
        assertEquals(8, same.task("score").chunkCount(ChunkState.CACHED));
    }

    @Test
    void aRetriedChunkReadsItsRowsAgainAndEveryBufferIsFreed() {
        AtomicInteger attempts = new AtomicInteger();
        FlowRunRecord run = run(Flow.define("retried", f -> {
            Stage s = f.stage("s");
            Ref orders = s.task("orders").produces(ctx -> Table.of(orders(-1, 0), "orders").inline()).ref();
            s.task("copy").input("orders", orders, ArrowTable.class).batched(Batched.hashOf("customer_id", 4))
                    .produces(ctx -> {
                        ArrowTable chunk = ctx.input("orders", ArrowTable.class);
                        if (attempts.getAndIncrement() == 0) {
                            throw new StoreException("connection reset while computing the chunk", null, true, null);
                        }
                        return Table.of(Rows.fromArrow(chunk), "copy");
                    });
        }), mini);
        assertEquals(5, attempts.get(), "four chunks, one of them twice");
        assertEquals(rowSet(orders(-1, 0)), rowSet(run.result().get(new Ref("s", "copy", "copy"), Rows.class)));
        run.result().close();
        assertEquals(0, kit.allocator().getAllocatedMemory(), "no Arrow memory is left once the result is closed");
    }

    @Test
    void aFailingChunkFreesEveryBufferOfItsInlinedInput() {
        FlowRunRecord run = kit.run(Flow.define("failing", f -> {
            Stage s = f.stage("s");
            Ref orders = s.task("orders").produces(ctx -> Table.of(orders(-1, 0), "orders").inline()).ref();
            s.task("fussy").input("orders", orders, Rows.class).batched(Batched.rangeOf("customer_id", 3))
                    .produces(ctx -> {
                        if (ctx.input("orders", Rows.class).stream().anyMatch(r -> r.get("customer_id") == null)) {
                            throw new IllegalStateException("no orders without a customer, please");
                        }
                        return Table.of(ctx.input("orders", Rows.class), "copy");
                    });
        }), mini);
        assertEquals(TaskState.FAILED, run.task("fussy").state());
        assertTrue(run.task("fussy").error().contains("range 1 of 3"), "NULL keys are in the first chunk: "
                + run.task("fussy").error());
        run.result().close();
        assertEquals(0, kit.allocator().getAllocatedMemory(), "no Arrow memory is left once the result is closed");
    }

    @Test
    void aHookThatFiltersOnlyInSqlKeepsItsInputInTheStoreAndSaysWhy() {
        List<Integer> sizes = new CopyOnWriteArrayList<>();
        Flow flow = Flow.define("sql-only", f -> {
            Stage s = f.stage("s");
            Ref orders = s.task("orders").produces(ctx -> Table.of(orders(-1, 0), "orders").inline()).ref();
            s.task("score").input("orders", orders, Rows.class).batched(new BatchedTaskTest.EvenOdd()).produces(ctx -> {
                sizes.add(ctx.input("orders", Rows.class).size());
                return Table.of(score(ctx.input("orders", Rows.class)), "scores");
            });
        });
        List<ILoggingEvent> log = debugLines(() -> run(flow, mini.withInline(InlineMode.FORCE_TRUE)), "TaskExecution");
        assertEquals(List.of(1_500, 1_500), sizes.stream().sorted().toList());
        assertTrue(log.stream().anyMatch(e -> e.getFormattedMessage().contains("Output 'orders' of task 'orders' is not"
                + " inlined") && e.getFormattedMessage().contains("'score'")), () -> log.toString());
    }

    @Test
    void hashingAStringColumnKeepsTheInputInTheStore() {
        Flow flow = Flow.define("strings", f -> {
            Stage s = f.stage("s");
            Ref customers = s.task("customers").produces(ctx -> Table.of(customers(), "customers").inline()).ref();
            s.task("count").input("customers", customers, Rows.class).batched(Batched.hashOf("name", 4))
                    .produces(ctx -> Table.of(Rows.builder("n").add((long) ctx.input("customers", Rows.class).size())
                            .build()));
        });
        FlowRunRecord run = run(flow, mini.withInline(InlineMode.FORCE_TRUE));
        assertTrue(inStore(run.result(), new Ref("s", "customers", "customers")));
        assertEquals(98L, run.result().get(new Ref("s", "count", "count"), Rows.class).stream()
                .mapToLong(r -> r.getLong("n")).sum());
    }

    private static List<ILoggingEvent> debugLines(Runnable body, String runtimeClass) {
        Logger logger = (Logger) LoggerFactory.getLogger("dev.weir.engine.runtime." + runtimeClass);
        ListAppender<ILoggingEvent> log = new ListAppender<>();
        log.start();
        Level level = logger.getLevel();
        logger.addAppender(log);
        logger.setLevel(Level.DEBUG);
        try {
            body.run();
        } finally {
            logger.detachAppender(log);
            logger.setLevel(level);
        }
        return new ArrayList<>(log.list);
    }
}
