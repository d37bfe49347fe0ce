package dev.weir.engine.stream;

import static dev.weir.engine.stream.TestBatches.ids;
import static dev.weir.engine.stream.TestBatches.map;
import static dev.weir.engine.stream.TestBatches.source;
import static dev.weir.engine.stream.TestBatches.values;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.weir.engine.data.ArrowTable;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import java.util.stream.LongStream;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.stream.javadsl.Sink;
import org.junit.jupiter.api.Test;

/** What a streaming run does with batches: ids, bounds, splitting, branches, joins, failures, memory. */
class StreamRunTest extends StreamExecutorFixture {

    /** Runs to the end and returns every output as (task -> batch id -> values), closing them. */
    private static Map<String, Map<Long, List<Long>>> drain(StreamResults results) {
        Map<String, Map<Long, List<Long>>> out = new TreeMap<>();
        try (results) {
            while (results.hasNext()) {
                try (BatchResult r = results.next()) {
                    out.computeIfAbsent(r.task(), t -> new TreeMap<>())
                            .computeIfAbsent(r.batchId(), b -> new ArrayList<>()).addAll(values(r.table()));
                }
            }
        }
        return out;
    }

    @Test
    void batchIdsIncreaseMonotonicallyFromTheSource() {
        List<Long> seen = Collections.synchronizedList(new ArrayList<>());
        StreamGraph graph = StreamGraph.builder()
                .task("parse", in -> {
                    seen.add(in.batchId());
                    assertEquals(in.batchId() * 10, values(in.table()).get(0));
                    return in.table();
                }).source("parse")
                .parallelism(1)
                .build();
        Map<Long, List<Long>> out = drain(executor.run(graph, source(8, 10))).get("parse");
        assertEquals(LongStream.range(0, 8).boxed().toList(), seen);
        assertEquals(LongStream.range(0, 8).boxed().toList(), List.copyOf(out.keySet()));
    }

    @Test
    void maxBatchesStopsTheSource() {
        AtomicInteger pulled = new AtomicInteger();
        StreamGraph graph = StreamGraph.builder().task("parse", BatchInput::table).source("parse").maxBatches(5).build();
        StreamResults results = executor.run(graph, source(-1, 3, pulled));
        assertEquals(5, drain(results).get("parse").size());
        assertEquals(5, results.awaitSummary().sourceBatches());
        assertEquals(5, pulled.get());
    }

    @Test
    void maxRowsSplitsABatchBeforeTheTask() {
        List<Integer> sizes = Collections.synchronizedList(new ArrayList<>());
        StreamGraph graph = StreamGraph.builder()
                .task("score", in -> {
                    sizes.add((int) in.table().rowCount());
                    return in.table();
                }).source("score")
                .set("score", "max-rows", 300)
                .parallelism(1)
                .build();
        List<BatchResult> parts = new ArrayList<>();
        try (StreamResults results = executor.run(graph, source(1, 1000))) {
            results.forEachRemaining(parts::add);
        }
        assertEquals(List.of(300, 300, 300, 100), sizes);
        assertEquals(List.of(0, 1, 2, 3), parts.stream().map(BatchResult::part).toList());
        assertTrue(parts.stream().allMatch(p -> p.batchId() == 0));
        assertEquals(LongStream.range(0, 1000).boxed().toList(),
                parts.stream().flatMap(p -> values(p.table()).stream()).toList());
        parts.forEach(BatchResult::close);
    }

    @Test
    void branchesFanOutAndAMultiInputTaskJoinsEachBatch() {
        StreamGraph graph = StreamGraph.builder()
                .task("parse", map(x -> x)).source("parse")
                .task("double", map(x -> 2 * x), "parse")
                .task("negate", map(x -> -x), "parse")
                .task("audit", BatchInput::table, "parse")
                .task("join", in -> {
                    List<Long> sums = new ArrayList<>();
                    List<Long> a = values(in.table("double"));
                    List<Long> b = values(in.table("negate"));
                    for (int i = 0; i < a.size(); i++) {
                        sums.add(a.get(i) + b.get(i));
                    }
                    return fromValues(in, sums);
                }, "double", "negate")
                .set("double", "max-rows", 4)
                .build();
        Map<String, Map<Long, List<Long>>> out = drain(executor.run(graph, source(5, 10)));
        assertEquals(List.of("audit", "join"), List.copyOf(out.keySet()));
        for (long b = 0; b < 5; b++) {
            // double split its input into 3 parts; the join saw them put back together: 2x + -x = x
            assertEquals(LongStream.range(b * 10, b * 10 + 10).boxed().toList(), out.get("join").get(b));
            assertEquals(LongStream.range(b * 10, b * 10 + 10).boxed().toList(), out.get("audit").get(b));
        }
    }

    private static ArrowTable fromValues(BatchInput in, List<Long> values) {
        ArrowTable table = ids(in.allocator(), 0, values.size());
        org.apache.arrow.vector.BigIntVector v = (org.apache.arrow.vector.BigIntVector) table.batches().get(0).getVector(0);
        for (int i = 0; i < values.size(); i++) {
            v.set(i, values.get(i));
        }
        return table;
    }

    @Test
    void aReadyTerminalTaskRunsBeforeTheFirstTaskTakesANewBatch() {
        List<String> starts = Collections.synchronizedList(new ArrayList<>());
        BatchFunction record = in -> {
            starts.add(in.task() + in.batchId());
            return in.table();
        };
        StreamGraph graph = StreamGraph.builder()
                .task("a", record).source("a")
                .task("b", record, "a")
                .task("c", record, "b")
                .parallelism(1).maxInFlight(3)
                .build();
        drain(executor.run(graph, source(3, 5)));
        assertEquals(List.of("a0", "b0", "c0", "a1", "b1", "c1", "a2", "b2", "c2"), starts);
    }

    @Test
    void batchesInFlightAndCallsRunningStayWithinTheirBounds() {
        AtomicInteger inside = new AtomicInteger();
        AtomicInteger mostInside = new AtomicInteger();
        BatchFunction slow = in -> {
            mostInside.accumulateAndGet(inside.incrementAndGet(), Math::max);
            Thread.sleep(2);
            inside.decrementAndGet();
            return in.table();
        };
        StreamGraph graph = StreamGraph.builder()
                .task("a", slow).source("a")
                .task("b", slow, "a")
                .task("c", slow, "b")
                .set("b", "parallelism", 1)
                .parallelism(3).maxInFlight(2)
                .build();
        StreamResults results = executor.run(graph, source(30, 5));
        assertEquals(30, drain(results).get("c").size());
        StreamProgress end = results.awaitSummary().progress();
        assertTrue(end.peakBatchesInFlight() <= 2, "peak in flight " + end.peakBatchesInFlight());
        assertTrue(end.peakRunning() <= 3 && mostInside.get() <= 3, "peak running " + end.peakRunning());
    }

    @Test
    void resourcesAreCheckedAgainstTheRunsBudget() {
        AtomicInteger inside = new AtomicInteger();
        AtomicInteger mostInside = new AtomicInteger();
        StreamGraph graph = StreamGraph.builder()
                .task("heavy", in -> {
                    mostInside.accumulateAndGet(inside.incrementAndGet(), Math::max);
                    Thread.sleep(3);
                    inside.decrementAndGet();
                    return in.table();
                }).source("heavy")
                .budget("memory-mb", 1000).set("heavy", "resources.memory-mb", 400)
                .parallelism(4).maxInFlight(8)
                .build();
        drain(executor.run(graph, source(12, 2)));
        assertEquals(2, mostInside.get());
    }

    @Test
    void aFailingTaskFailsTheRunNamingTheTaskAndTheBatch() {
        StreamGraph graph = StreamGraph.builder()
                .task("parse", map(x -> x)).source("parse")
                .task("score", in -> {
                    if (in.batchId() == 3) {
                        throw new IllegalArgumentException("negative amount in row 7");
                    }
                    return in.table();
                }, "parse")
                .build();
        StreamFailedException e = assertThrows(StreamFailedException.class, () -> drain(executor.run(graph, source(10, 4))));
        assertEquals("score", e.task());
        assertEquals(3, e.batchId());
        assertEquals("task 'score' failed on batch 3: negative amount in row 7", e.getMessage());
    }

    @Test
    void aFailingSourceFailsTheRun() {
        StreamGraph graph = StreamGraph.builder().task("parse", BatchInput::table).source("parse").build();
        BatchSource broken = alloc -> {
            throw new IllegalStateException("no such file: input.arrow");
        };
        StreamFailedException e = assertThrows(StreamFailedException.class, () -> drain(executor.run(graph, broken)));
        assertTrue(e.getMessage().contains("the source failed producing batch 0: no such file"), e.getMessage());
    }

    @Test
    void skipModeDropsTheFailedBatchesAndReportsThem() {
        StreamGraph graph = StreamGraph.builder()
                .task("parse", map(x -> x)).source("parse")
                .task("score", in -> {
                    if (in.batchId() == 2 || in.batchId() == 5) {
                        throw new IllegalArgumentException("bad batch");
                    }
                    return in.table();
                }, "parse")
                .set("score", "on-error", "skip")
                .build();
        StreamResults results = executor.run(graph, source(7, 3));
        assertEquals(List.of(0L, 1L, 3L, 4L, 6L), List.copyOf(drain(results).get("score").keySet()));
        StreamSummary summary = results.awaitSummary();
        assertEquals(Map.of("score", List.of(2L, 5L)), summary.skipped());
        assertEquals(5, summary.task("score").batches());
    }

    @Test
    void closingTheResultsEarlyCancelsTheRunAndFreesEverything() {
        StreamGraph graph = StreamGraph.builder()
                .task("parse", map(x -> x)).source("parse")
                .task("score", map(x -> x + 1), "parse")
                .task("audit", BatchInput::table, "parse")
                .maxInFlight(4)
                .build();
        StreamResults results = executor.run(graph, source(-1, 100));
        for (int i = 0; i < 5; i++) {
            results.next().close();
        }
        results.close();
        assertTrue(results.awaitSummary().cancelled());
    }

    @Test
    void contextValuesReachTheTasks() {
        StreamGraph graph = StreamGraph.builder()
                .task("shift", in -> map(x -> x + in.context("offset", Long.class)).apply(in)).source("shift")
                .context("offset", 1000L)
                .build();
        assertEquals(List.of(1000L, 1001L), drain(executor.run(graph, source(1, 2))).get("shift").get(0L));
    }

    @Test
    void resultsCanBeReadAsAPekkoSource() throws Exception {
        StreamGraph graph = StreamGraph.builder()
                .task("parse", map(x -> x)).source("parse")
                .task("score", map(x -> x * 10), "parse")
                .build();
        List<Long> rows = executor.source(graph, source(20, 7))
                .map(r -> {
                    try (r) {
                        return r.rowCount();
                    }
                })
                .runWith(Sink.seq(), testKit.system())
                .toCompletableFuture().get(30, TimeUnit.SECONDS);
        assertEquals(20, rows.size());
        assertEquals(140L, rows.stream().mapToLong(Long::longValue).sum());
    }

    @Test
    void progressIsReportedAndTheEndSummarizesEveryTask() {
        TestProbe<StreamProgress> probe = testKit.createTestProbe();
        StreamGraph graph = StreamGraph.builder()
                .task("parse", map(x -> x)).source("parse")
                .task("score", map(x -> x), "parse")
                .set("progress-interval", "50ms")
                .build();
        StreamResults results = executor.run(graph, source(10, 50), probe.getRef());
        drain(results);
        StreamProgress last = probe.fishForMessage(Duration.ofSeconds(10),
                p -> p.tasks().get("score").batches() == 10
                        ? org.apache.pekko.actor.testkit.typed.javadsl.FishingOutcomes.complete()
                        : org.apache.pekko.actor.testkit.typed.javadsl.FishingOutcomes.continueAndIgnore()).get(0);
        assertEquals(500, last.sourceRows());
        assertEquals(500, last.tasks().get("parse").rowsIn());
        String line = results.awaitSummary().line();
        assertTrue(line.startsWith("streaming run done: 10 source batches, 500 rows"), line);
        assertFalse(line.contains("skipped"), line);
    }

    @Test
    void aTaskSeesEachBatchOnceAcrossParallelCalls() {
        StreamGraph graph = StreamGraph.builder()
                .task("parse", map(x -> x)).source("parse")
                .set("parse", "parallelism", 4)
                .build();
        Map<Long, List<Long>> out = drain(executor.run(graph, source(40, 3))).get("parse");
        assertEquals(40, out.size());
        assertEquals(LongStream.range(0, 120).boxed().collect(Collectors.toList()),
                out.values().stream().flatMap(List::stream).sorted().toList());
    }
}
