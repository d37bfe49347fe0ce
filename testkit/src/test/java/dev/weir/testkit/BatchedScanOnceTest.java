package dev.weir.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.weir.engine.Flow;
import dev.weir.engine.Ref;
import dev.weir.engine.Result;
import dev.weir.engine.RunOptions;
import dev.weir.engine.Stage;
import dev.weir.engine.Table;
import dev.weir.engine.Weir;
import dev.weir.engine.batch.Batched;
import dev.weir.engine.batch.IntegerBuckets;
import dev.weir.engine.batch.InvocationHook;
import dev.weir.engine.config.InstanceConfig;
import dev.weir.engine.data.Row;
import dev.weir.engine.data.Rows;
import dev.weir.engine.store.StoreException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import org.apache.arrow.memory.RootAllocator;
import org.junit.jupiter.api.Test;

/**
 * A batched task whose hook routes rows ({@code hashOf}, or {@code rangeOf} with {@code scanOnce(true)})
 * reads an input in the store once and splits it among its chunks, instead of once per chunk: the
 * chunks get exactly the rows their predicates select, the output is the unbatched task's, a retried
 * chunk gets its rows again, and memory stays within a small Arrow limit. Runs on every store:
 * {@link BatchedScanOnceOnDuckDbTest} and {@link BatchedScanOnceOnPostgresTest}.
 */
abstract class BatchedScanOnceTest extends FlowKitTest {

    @Override
    protected abstract InstanceConfig instance(FlowTestKit kit);

    /** Orders with negative, NULL and repeated customers, so that every kind of key meets the router. */
    static Rows orders() {
        Rows.Builder b = Rows.builder(new org.apache.arrow.vector.types.pojo.Schema(List.of(
                org.apache.arrow.vector.types.pojo.Field.nullable("order_id", new org.apache.arrow.vector.types.pojo.ArrowType.Int(64, true)),
                org.apache.arrow.vector.types.pojo.Field.nullable("customer_id", new org.apache.arrow.vector.types.pojo.ArrowType.Int(64, true)))));
        for (long i = 0; i < 5_000; i++) {
            b.add(i, i % 50 == 0 ? null : (i % 101) - 40);
        }
        return b.build();
    }

    static Rows score(Rows in) {
        Rows.Builder b = Rows.builder("order_id", "customer_id", "score");
        for (Row r : in) {
            Long customer = r.get("customer_id") == null ? null : r.getLong("customer_id");
            b.add(r.getLong("order_id"), customer, r.getLong("order_id") * 0.5 + (customer == null ? 0 : customer));
        }
        return b.build();
    }

    interface Spy {
        void seen(Rows chunk) throws Exception;
    }

    /** Stage {@code out}: task {@code plain} scores every order at once, task {@code split} chunk by chunk. */
    static Flow flow(InvocationHook hook, boolean inline, Spy spy) {
        return Flow.define("scan-once", f -> {
            Ref orders = f.stage("raw").task("orders")
                    .produces(ctx -> inline ? Table.of(orders(), "orders").inline() : Table.of(orders(), "orders")).ref();
            Stage out = f.stage("out");
            out.task("plain").input("orders", orders, Rows.class)
                    .produces(ctx -> Table.of(score(ctx.input("orders", Rows.class)), "plain"));
            out.task("split").input("orders", orders, Rows.class).batched(hook).produces(ctx -> {
                Rows chunk = ctx.input("orders", Rows.class);
                spy.seen(chunk);
                return Table.of(score(chunk), "split");
            });
        });
    }

    static List<String> sorted(Rows rows) {
        return rows.stream().map(r -> r.get("order_id") + "|" + r.get("customer_id") + "|" + r.get("score"))
                .sorted().toList();
    }

    static void assertSameOutput(FlowRunRecord run) {
        assertTrue(run.successful(), () -> run.result().toJson());
        List<String> plain = sorted(run.result().get(new Ref("out", "plain", "plain"), Rows.class));
        List<String> split = sorted(run.result().get(new Ref("out", "split", "split"), Rows.class));
        assertEquals(5_000, plain.size());
        assertEquals(plain, split, "the chunks together make exactly the unbatched task's output");
    }

    static int bucketOf(Row row, int buckets) {
        Object customer = row.get("customer_id");
        return IntegerBuckets.bucket(java.util.Arrays.asList(customer == null ? null : ((Number) customer).longValue()),
                buckets);
    }

    @Test
    void hashChunksReadTheirInputInOneScanAndMakeExactlyTheUnbatchedOutput() {
        Map<Integer, Set<Long>> chunkRows = new ConcurrentHashMap<>();
        AtomicInteger calls = new AtomicInteger();
        try (ReadLogStore.Reads reads = new ReadLogStore.Reads()) {
            FlowRunRecord run = kit.run(flow(Batched.hashOf("customer_id", 7), false, chunk -> {
                calls.incrementAndGet();
                Set<Integer> buckets = chunk.stream().map(r -> bucketOf(r, 7)).collect(Collectors.toSet());
                assertTrue(buckets.size() <= 1, "a chunk holds one bucket's rows, saw buckets " + buckets);
                if (!buckets.isEmpty()) {
                    Set<Long> ids = chunk.stream().map(r -> r.getLong("order_id")).collect(Collectors.toSet());
                    assertEquals(null, chunkRows.put(buckets.iterator().next(), ids), "one chunk per bucket");
                }
            }), reads.around(mini));
            assertSameOutput(run);
            assertEquals(7, calls.get());
            assertEquals(List.of("all", "all"), reads.of("orders"),
                    "the unbatched task and the batched task read the orders once each, with no chunk predicate");
        }
        assertNoSpillLeft();
    }

    @Test
    void aChunkRetriedAfterATransientFailureGetsExactlyItsRowsAgain() {
        List<Set<Long>> attemptsOfFailingChunk = new CopyOnWriteArrayList<>();
        AtomicInteger failures = new AtomicInteger();
        int bucketOfFive = IntegerBuckets.bucket(List.of(5L), 4);
        FlowRunRecord run = kit.run(flow(Batched.hashOf("customer_id", 4), false, chunk -> {
            if (chunk.stream().anyMatch(r -> r.get("customer_id") != null && r.getLong("customer_id") == 5L)) {
                attemptsOfFailingChunk.add(chunk.stream().map(r -> r.getLong("order_id"))
                        .collect(Collectors.toCollection(TreeSet::new)));
                if (failures.getAndIncrement() == 0) {
                    throw new StoreException("connection reset while reading the chunk", null, true, null);
                }
            }
        }), mini);
        assertSameOutput(run);
        Set<Long> expected = orders().stream().filter(r -> bucketOf(r, 4) == bucketOfFive)
                .map(r -> r.getLong("order_id")).collect(Collectors.toCollection(TreeSet::new));
        assertEquals(List.of(expected, expected), attemptsOfFailingChunk,
                "the failed attempt and the retry both got exactly the rows of their bucket");
        assertNoSpillLeft();
    }

    @Test
    void aFailingChunkFailsItsTaskNamingTheChunkAndLeavesNoSpilledRows() {
        FlowRunRecord run = kit.run(flow(Batched.hashOf("customer_id", 4), false, chunk -> {
            if (chunk.stream().anyMatch(r -> r.get("customer_id") != null && r.getLong("customer_id") == 5L)) {
                throw new IllegalStateException("bad customer 5");
            }
        }), mini);
        assertFalse(run.successful());
        String error = run.task("split").error();
        assertTrue(error.contains("task 'split'") && error.contains("chunk " + IntegerBuckets.bucket(List.of(5L), 4))
                && error.contains("bad customer 5"), error);
        assertNoSpillLeft();
    }

    @Test
    void rangeChunksReadTheirRangesByPredicateUnlessToldToScanOnce() {
        try (ReadLogStore.Reads reads = new ReadLogStore.Reads()) {
            FlowRunRecord byRange = kit.run(flow(Batched.rangeOf("order_id", 5), false, chunk -> { }), reads.around(mini));
            assertSameOutput(byRange);
            assertEquals(1 + 5, reads.of("orders").size(), "the unbatched read, then one read per chunk: "
                    + reads.of("orders"));
        }
        try (ReadLogStore.Reads reads = new ReadLogStore.Reads()) {
            List<Long> smallest = new CopyOnWriteArrayList<>();
            FlowRunRecord scanned = kit.run(flow(Batched.rangeOf("order_id", 5).scanOnce(true), false, chunk ->
                            smallest.add(chunk.stream().mapToLong(r -> r.getLong("order_id")).min().orElse(-1))),
                    reads.around(mini), RunOptions.defaults().cacheValidation(InstanceConfig.CacheValidation.NORMAL
                            .withMode(InstanceConfig.CacheValidation.Mode.FORCE_CACHE_INVALID)));
            assertSameOutput(scanned);
            assertEquals(Set.of(0L, 1_000L, 2_000L, 3_000L, 4_000L), Set.copyOf(smallest));
            assertEquals(List.of("all", "all"), reads.of("orders").stream().filter(r -> r.equals("all")).toList());
            assertEquals(2, reads.of("orders").size(), "the unbatched read and one scan (the range is a query): "
                    + reads.of("orders"));
        }
        assertNoSpillLeft();
    }

    /**
     * The scan's splitting threads copy columns by their bytes: every fixed type width (1 bit, 2, 4, 8 and
     * 16 bytes) and a text column (empty strings too), NULLs in each, over several batches of the scan,
     * reach the chunks exactly as the unbatched task reads them.
     */
    @Test
    void aScannedInputOfEveryWidthAndNullsReachesTheChunksUnchanged() {
        String sql = "SELECT CAST(g AS BIGINT) AS id, CAST(g % 37 AS INTEGER) AS k,"
                + " CAST(CASE WHEN g % 4 = 0 THEN NULL ELSE g % 300 END AS SMALLINT) AS small,"
                + " CAST(CASE WHEN g % 5 = 0 THEN NULL ELSE g * 3 END AS INTEGER) AS i,"
                + " CASE WHEN g % 6 = 0 THEN NULL ELSE CAST(g AS DOUBLE PRECISION) / 4 END AS d,"
                + " CAST(CASE WHEN g % 7 = 0 THEN NULL ELSE g % 1000 END AS NUMERIC(12, 2)) AS n,"
                + " CASE WHEN g % 8 = 0 THEN NULL ELSE g % 3 = 0 END AS b,"
                + " CASE WHEN g % 10 = 0 THEN NULL ELSE CAST(DATE '2020-01-01' + CAST(g % 400 AS INTEGER) AS DATE) END AS day,"
                + " CASE WHEN g % 9 = 0 THEN NULL WHEN g % 11 = 0 THEN '' ELSE 'x' || CAST(g AS VARCHAR) END AS t"
                + " FROM generate_series(1, 200000) AS s(g)";
        List<String> columns = List.of("id", "k", "small", "i", "d", "n", "b", "day", "t");
        AtomicInteger calls = new AtomicInteger();
        Flow flow = Flow.define("scan-once-types", f -> {
            Ref rows = f.stage("raw").task("rows").sql(sql, Map.of()).ref();
            Stage out = f.stage("out");
            out.task("plain").input("rows", rows, Rows.class)
                    .produces(ctx -> Table.of(ctx.input("rows", Rows.class), "plain"));
            out.task("split").input("rows", rows, Rows.class).batched(Batched.hashOf("k", 6)).produces(ctx -> {
                calls.incrementAndGet();
                return Table.of(ctx.input("rows", Rows.class), "split");
            });
        });
        FlowRunRecord run = kit.run(flow, mini);
        assertTrue(run.successful(), () -> run.result().toJson());
        java.util.function.Function<Rows, List<String>> text = rows -> rows.stream()
                .map(r -> columns.stream().map(c -> String.valueOf(r.get(c))).collect(Collectors.joining("|")))
                .sorted().toList();
        List<String> plain = text.apply(run.result().get(new Ref("out", "plain", "plain"), Rows.class));
        List<String> split = text.apply(run.result().get(new Ref("out", "split", "split"), Rows.class));
        assertEquals(200_000, plain.size());
        assertTrue(plain.stream().anyMatch(r -> r.contains("null")), "some values are NULL");
        assertEquals(plain, split, "the chunks together hold exactly the input's rows and values");
        assertEquals(6, calls.get());
        assertNoSpillLeft();
    }

    @Test
    void withoutScanOnceEachHashChunkReadsItsRowsByItsPredicate() {
        try (ReadLogStore.Reads reads = new ReadLogStore.Reads()) {
            FlowRunRecord run = kit.run(flow(Batched.hashOf("customer_id", 4).scanOnce(false), false, chunk -> { }),
                    reads.around(mini));
            assertSameOutput(run);
            assertEquals(1 + 4, reads.of("orders").size(), reads.of("orders").toString());
        }
    }

    @Test
    void anInlinedInputIsSplitOnceAndEachChunkGetsExactlyItsBucket() {
        List<Integer> sizes = new CopyOnWriteArrayList<>();
        FlowRunRecord run = kit.run(flow(Batched.hashOf("customer_id", 6), true, chunk -> {
            assertTrue(chunk.stream().map(r -> bucketOf(r, 6)).distinct().count() <= 1, "one bucket per chunk");
            sizes.add(chunk.size());
        }), mini.withInline(InstanceConfig.InlineMode.DEFAULT_FALSE));
        assertSameOutput(run);
        assertEquals(6, sizes.size());
        assertEquals(5_000, sizes.stream().mapToInt(Integer::intValue).sum());
    }

    /**
     * A million rows (about 25 MB of Arrow) through an engine whose allocator holds 24 MB: the scan keeps
     * up to three batches and the chunks' small buffers, the chunks hold their own rows, so the task fits; reading
     * the input whole does not. Nothing leaks (the allocator closes) and no spilled rows are left.
     */
    @Test
    void aScannedInputStaysWithinASmallArrowLimit() throws Exception {
        long limit = 24L << 20;
        String rows = "SELECT CAST(g AS BIGINT) AS order_id, CAST(g % 97 AS BIGINT) AS customer_id,"
                + " CAST(g % 13 AS DOUBLE PRECISION) AS amount FROM generate_series(1, 1000000) AS t(g)";
        try (RootAllocator small = new RootAllocator(limit)) {
            try (Weir weir = Weir.embedded(kit.testKit().system(), small)) {
                for (boolean batched : List.of(true, false)) {
                    Flow flow = Flow.define("small-memory", f -> {
                        Ref orders = f.stage("raw").task("orders").sql(rows, Map.of()).ref();
                        Stage out = f.stage("out");
                        dev.weir.engine.TaskBuilder score = out.task("score").version(batched ? "batched" : "whole")
                                .input("orders", orders, Rows.class);
                        if (batched) {
                            score = score.batched(Batched.hashOf("customer_id", 10).computeParallelism(2)
                                    .uploadParallelism(1).maxBufferedChunks(1));
                        }
                        Ref scores = score.produces(ctx -> Table.of(BatchedTaskTest.score(ctx.input("orders", Rows.class)),
                                "scores")).ref();
                        out.task("total").sql("SELECT count(*) AS n, sum(score) AS s FROM {s}", Map.of("s", scores));
                    });
                    try (Result result = weir.run(flow, mini).toCompletableFuture().get(3, TimeUnit.MINUTES)) {
                        if (batched) {
                            assertTrue(result.successful(), () -> result.summary() + ": " + result.failure().map(Throwable::toString).orElse(""));
                            Row total = result.get(Ref.of("out", "total"), Rows.class).get(0);
                            assertEquals(1_000_000L, total.getLong("n"));
                            // score = 2 * amount = 2 * (g % 13) summed over g = 1..1,000,000
                            long expected = 0;
                            for (long g = 1; g <= 1_000_000; g++) {
                                expected += 2 * (g % 13);
                            }
                            assertEquals(expected, total.getDouble("s"), 1e-6);
                            assertTrue(small.getPeakMemoryAllocation() <= limit);
                        } else {
                            assertFalse(result.successful(), "reading the input whole must not fit, or the limit"
                                    + " proves nothing: " + result.summary());
                        }
                    }
                    assertNoSpillLeft();
                }
            }
        }
    }

    void assertNoSpillLeft() {
        Path spill = mini.workDir().resolve("spill");
        if (Files.isDirectory(spill)) {
            try (var files = Files.list(spill)) {
                List<Path> left = files.sorted(Comparator.naturalOrder()).collect(Collectors.toCollection(ArrayList::new));
                assertEquals(List.of(), left, "the spilled rows are deleted when the task ends");
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }
    }
}
