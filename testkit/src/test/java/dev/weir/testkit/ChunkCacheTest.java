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
import dev.weir.engine.Stage;
import dev.weir.engine.Table;
import dev.weir.engine.TaskResult;
import dev.weir.engine.TaskResult.ChunkState;
import dev.weir.engine.TaskState;
import dev.weir.engine.batch.Batched;
import dev.weir.engine.config.InstanceConfig;
import dev.weir.engine.data.Row;
import dev.weir.engine.data.Rows;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * The chunk cache of batched tasks: when a batched task runs again, each chunk whose rows of the inputs
 * are unchanged is loaded from the local table cache instead of computed.
 */
class ChunkCacheTest extends FlowKitTest {

    static final int CUSTOMERS = 97;

    final AtomicInteger computed = new AtomicInteger();

    /** 10,000 orders of 97 customers; {@code changedCustomer}'s amounts are raised by {@code raise}. */
    static Rows orders(long changedCustomer, double raise) {
        Rows.Builder b = Rows.builder("order_id", "customer_id", "amount");
        for (long i = 0; i < 10_000; i++) {
            long customer = i % CUSTOMERS;
            b.add(i, customer, (double) (i % 13) + (customer == changedCustomer ? raise : 0));
        }
        return b.build();
    }

    static Rows orders() {
        return orders(-1, 0);
    }

    /**
     * The orders are loaded by a task whose cache function returns {@code generation}: a new generation
     * reruns it, and so the batched task reading it, whether or not the orders changed.
     */
    Flow scored(Batched hook, Rows orders, int generation) {
        return Flow.define("chunk-cache", f -> {
            Stage raw = f.stage("raw");
            Ref ref = raw.task("orders").version("1").cache(ctx -> generation)
                    .produces(ctx -> Table.of(orders, "orders")).ref();
            Stage out = f.stage("out");
            out.task("score").version("1").input("orders", ref, Rows.class).batched(hook).produces(ctx -> {
                computed.incrementAndGet();
                return Table.of(BatchedTaskTest.score(ctx.input("orders", Rows.class)), "scores").primaryKey("order_id");
            });
        });
    }

    static Batched cachedHash(int chunks) {
        return Batched.hashOf("customer_id", chunks).cacheChunks(true);
    }

    FlowRunRecord run(Flow flow) {
        FlowRunRecord run = kit.run(flow, mini);
        assertTrue(run.successful(), () -> run.result().toJson());
        return run;
    }

    static Set<Map<String, Object>> rowSet(Rows rows) {
        return rows.stream().map(ChunkCacheTest::asMap).collect(Collectors.toSet());
    }

    static Map<String, Object> asMap(Row row) {
        return Map.of("order_id", row.get("order_id"), "customer_id", row.get("customer_id"), "score", row.get("score"));
    }

    void assertScoresAre(FlowRunRecord run, Rows orders) {
        Rows scores = run.result().get(new Ref("out", "score", "scores"), Rows.class);
        assertEquals(10_000, scores.size());
        Set<Map<String, Object>> expected = rowSet(BatchedTaskTest.score(orders));
        Set<Map<String, Object>> actual = rowSet(scores);
        assertTrue(expected.equals(actual), () -> "the output differs from a computation from scratch, e.g. "
                + actual.stream().filter(r -> !expected.contains(r)).limit(3).map(ChunkCacheTest::typed).toList()
                + " instead of " + expected.stream().filter(r -> !actual.contains(r)).limit(3)
                .map(ChunkCacheTest::typed).toList());
    }

    private static String typed(Map<String, Object> row) {
        return row.entrySet().stream().map(e -> e.getKey() + "=" + e.getValue() + " ("
                + (e.getValue() == null ? "null" : e.getValue().getClass().getSimpleName()) + ")").sorted().toList().toString();
    }

    static List<ChunkState> states(int computed, int cached) {
        return Stream.concat(Collections.nCopies(computed, ChunkState.COMPUTED).stream(),
                Collections.nCopies(cached, ChunkState.CACHED).stream()).toList();
    }

    static List<ChunkState> sorted(List<ChunkState> states) {
        return states.stream().sorted().toList();
    }

    @Test
    void onlyTheChunkHoldingAChangedCustomerIsComputedOnARerun() {
        FlowRunRecord first = run(scored(cachedHash(8), orders(), 1));
        assertEquals(8, computed.getAndSet(0));
        assertEquals(states(8, 0), first.task("score").chunks());

        Rows changed = orders(5, 100);
        FlowRunRecord second = run(scored(cachedHash(8), changed, 2));
        assertEquals(Set.of("orders", "score"), second.ran(), "the upstream change reruns the batched task");
        assertEquals(1, computed.get(), "only the chunk holding customer 5 is computed");
        TaskResult score = second.task("score");
        assertEquals(states(1, 7), sorted(score.chunks()));
        assertEquals(10_000L, score.rows());
        assertScoresAre(second, changed);
        String report = second.result().toJson();
        assertTrue(report.contains("\"computed\" : 1") && report.contains("\"cached\" : 7"), report);
    }

    @Test
    void anUpstreamRerunWithTheSameRowsComputesNoChunk() {
        run(scored(cachedHash(8), orders(), 1));
        computed.set(0);
        FlowRunRecord second = run(scored(cachedHash(8), orders(), 2));
        assertEquals(TaskState.COMPLETED, second.task("score").state());
        assertEquals(0, computed.get());
        assertEquals(states(0, 8), second.task("score").chunks());
        assertScoresAre(second, orders());
    }

    /** The scores with their column types given, so that an empty chunk's table has them too. */
    static Rows typedScore(Rows in) {
        org.apache.arrow.vector.types.pojo.Schema schema = new org.apache.arrow.vector.types.pojo.Schema(List.of(
                org.apache.arrow.vector.types.pojo.Field.nullable("order_id", new org.apache.arrow.vector.types.pojo.ArrowType.Int(64, true)),
                org.apache.arrow.vector.types.pojo.Field.nullable("customer_id", new org.apache.arrow.vector.types.pojo.ArrowType.Int(64, true)),
                org.apache.arrow.vector.types.pojo.Field.nullable("score", new org.apache.arrow.vector.types.pojo.ArrowType.FloatingPoint(
                        org.apache.arrow.vector.types.FloatingPointPrecision.DOUBLE))));
        Rows.Builder b = Rows.builder(schema);
        for (Row r : in) {
            b.add(r.get("order_id"), r.get("customer_id"), r.getDouble("amount") * 2);
        }
        return b.build();
    }

    @Test
    void chunksWithoutRowsAreCachedToo() {
        Flow flow = Flow.define("chunk-cache", f -> {
            Ref ref = f.stage("raw").task("orders").version("1").cache(ctx -> computed.get())
                    .produces(ctx -> Table.of(orders(), "orders")).ref();
            f.stage("out").task("score").version("1").input("orders", ref, Rows.class).batched(cachedHash(128)).produces(ctx -> {
                computed.incrementAndGet();
                return Table.of(typedScore(ctx.input("orders", Rows.class)), "scores");
            });
        });
        run(flow); // 97 customers in 128 chunks: at least 31 chunks are empty
        FlowRunRecord second = run(flow); // the orders' cache function changed: the batched task runs again
        assertEquals(Set.of("orders", "score"), second.ran());
        assertEquals(128, computed.get(), "the second run computes no chunk");
        assertEquals(128, second.task("score").chunkCount(ChunkState.CACHED));
        assertScoresAre(second, orders());
    }

    @Test
    void aChangeOfChunkingComputesEveryChunkAndKeepsOnlyTheNewEntries() throws IOException {
        run(scored(cachedHash(4), orders(), 1));
        computed.set(0);
        FlowRunRecord rechunked = run(scored(cachedHash(6), orders(), 1));
        assertEquals(Set.of("score"), rechunked.ran());
        assertEquals(6, computed.get());
        assertEquals(states(6, 0), rechunked.task("score").chunks());
        assertScoresAre(rechunked, orders());
        assertEquals(6, entries().size(), "the entries of the old chunking are deleted");
    }

    @Test
    void withoutCacheChunksEveryChunkIsComputed() {
        Batched uncached = Batched.hashOf("customer_id", 8);
        run(scored(uncached, orders(), 1));
        computed.set(0);
        FlowRunRecord second = run(scored(uncached, orders(5, 100), 2));
        assertEquals(8, computed.get());
        assertEquals(states(8, 0), second.task("score").chunks());
        assertFalse(Files.exists(cacheDir()), "nothing is written to the chunk cache");
    }

    @Test
    void aCorruptedOrMissingEntryFallsBackToComputingAndSaysSoInADebugLine() throws IOException {
        run(scored(cachedHash(8), orders(), 1));
        computed.set(0);
        List<Path> entries = entries();
        Path parquet = entries.get(0).resolve("0.parquet");
        byte[] bytes = Files.readAllBytes(parquet);
        Files.write(parquet, java.util.Arrays.copyOf(bytes, bytes.length / 2));
        try (Stream<Path> files = Files.walk(entries.get(1))) {
            files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }

        Logger logger = (Logger) LoggerFactory.getLogger("dev.weir.engine.runtime.ChunkCache");
        ListAppender<ILoggingEvent> log = new ListAppender<>();
        log.start();
        Level level = logger.getLevel();
        logger.addAppender(log);
        logger.setLevel(Level.DEBUG);
        FlowRunRecord second;
        try {
            second = run(scored(cachedHash(8), orders(), 2));
        } finally {
            logger.detachAppender(log);
            logger.setLevel(level);
        }
        assertEquals(2, computed.get(), "the corrupted and the missing chunk are computed");
        assertEquals(states(2, 6), sorted(second.task("score").chunks()));
        assertScoresAre(second, orders());
        assertTrue(log.list.stream().anyMatch(e -> e.getLevel() == Level.DEBUG
                && e.getFormattedMessage().contains(entries.get(0).toString())
                && e.getFormattedMessage().contains("unusable")), () -> log.list.toString());
        assertEquals(8, entries().size(), "the computed chunks are cached again");
    }

    @Test
    void onlyChangedChunksAreComputedOnPostgres() {
        InstanceConfig pg = kit.postgresInstance("chunks");
        FlowRunRecord first = kit.run(scored(cachedHash(5), orders(), 1), pg);
        assertTrue(first.successful(), () -> first.result().toJson());
        computed.set(0);
        Rows changed = orders(5, 100);
        FlowRunRecord second = kit.run(scored(cachedHash(5), changed, 2), pg);
        assertTrue(second.successful(), () -> second.result().toJson());
        assertEquals(1, computed.get());
        assertEquals(states(1, 4), sorted(second.task("score").chunks()));
        assertScoresAre(second, changed);
    }

    private Path cacheDir() {
        return mini.workDir().resolve("table-cache").resolve("out").resolve("score");
    }

    private List<Path> entries() throws IOException {
        try (Stream<Path> entries = Files.list(cacheDir())) {
            return entries.filter(Files::isDirectory).sorted().toList();
        }
    }
}
