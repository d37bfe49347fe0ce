package dev.weir.engine.stream;

import static dev.weir.engine.stream.TestBatches.map;
import static dev.weir.engine.stream.TestBatches.recordingThreads;
import static dev.weir.engine.stream.TestBatches.source;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.weir.engine.data.ArrowTable;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** How the run saves trips to the dispatcher: fused chains, several calls per trip, grouped replies. */
class FusionAndTripsTest extends StreamExecutorFixture {

    private static long drain(StreamResults results) {
        long n = 0;
        try (results) {
            while (results.hasNext()) {
                results.next().close();
                n++;
            }
        }
        return n;
    }

    @Test
    void aChainOfSingleConsumerTasksRunsEachBatchInOneCall() {
        Map<String, String> threads = new ConcurrentHashMap<>();
        BatchFunction record = recordingThreads(threads);
        StreamGraph graph = StreamGraph.builder()
                .task("a", record).source("a").task("b", record, "a").task("c", record, "b")
                .build();
        StreamResults results = executor.run(graph, source(20, 5));
        assertEquals(20, drain(results));
        for (int b = 0; b < 20; b++) {
            assertEquals(threads.get("a" + b), threads.get("c" + b), "batch " + b);
        }
        StreamSummary summary = results.awaitSummary();
        assertEquals(List.of(20L, 20L, 20L), List.of(summary.task("a").batches(), summary.task("b").batches(),
                summary.task("c").batches()));
        assertEquals(100, summary.task("c").rowsOut());
    }

    @Test
    void aFusedTaskThatFailsIsNamedWithTheBatch() {
        StreamGraph graph = StreamGraph.builder()
                .task("parse", map(x -> x)).source("parse")
                .task("score", in -> {
                    if (in.batchId() == 4) {
                        throw new IllegalArgumentException("negative amount in row 2");
                    }
                    return in.table();
                }, "parse")
                .task("store", BatchInput::table, "score")
                .build();
        StreamFailedException e = assertThrows(StreamFailedException.class, () -> drain(executor.run(graph, source(10, 3))));
        assertEquals("score", e.task());
        assertEquals(4, e.batchId());
        assertEquals("task 'score' failed on batch 4: negative amount in row 2", e.getMessage());
    }

    @Test
    void aFusedTaskThatSkipsIsReportedAgainstItselfAndTheChainGoesOn() {
        StreamGraph graph = StreamGraph.builder()
                .task("parse", map(x -> x)).source("parse")
                .task("score", in -> {
                    if (in.batchId() % 3 == 1) {
                        throw new IllegalArgumentException("bad batch");
                    }
                    return in.table();
                }, "parse")
                .task("store", BatchInput::table, "score")
                .set("score", "on-error", "skip")
                .build();
        StreamResults results = executor.run(graph, source(9, 2));
        assertEquals(6, drain(results));
        StreamSummary summary = results.awaitSummary();
        assertEquals(Map.of("score", List.of(1L, 4L, 7L)), summary.skipped());
        assertEquals(9, summary.task("parse").batches());
        assertEquals(6, summary.task("store").batches());
    }

    @Test
    void tasksLimitedBelowTheRunsParallelismStayApartAndStillRunSideBySide() {
        AtomicInteger inside = new AtomicInteger();
        AtomicInteger mostInside = new AtomicInteger();
        BatchFunction slow = in -> {
            mostInside.accumulateAndGet(inside.incrementAndGet(), Math::max);
            Thread.sleep(5);
            inside.decrementAndGet();
            return in.table();
        };
        StreamGraph graph = StreamGraph.builder()
                .task("a", slow).source("a").task("b", slow, "a").task("c", slow, "b")
                .set("a", "parallelism", 1).set("b", "parallelism", 1).set("c", "parallelism", 1)
                .parallelism(3).maxInFlight(8)
                .build();
        assertEquals(24, drain(executor.run(graph, source(24, 2))));
        assertTrue(mostInside.get() >= 2, "tasks never overlapped: " + mostInside.get());
        assertTrue(mostInside.get() <= 3, "more calls at once than the run's parallelism: " + mostInside.get());
    }

    @Test
    void aTerminalReadyBeforeANewBatchStillRunsFirstWhenTasksStayApart() {
        List<String> starts = Collections.synchronizedList(new ArrayList<>());
        BatchFunction record = in -> {
            starts.add(in.task() + in.batchId());
            return in.table();
        };
        // Different resources keep the three tasks from fusing; one slot makes the order observable.
        StreamGraph graph = StreamGraph.builder()
                .task("a", record).source("a").task("b", record, "a").task("c", record, "b")
                .set("b", "resources.cpu", 1)
                .parallelism(1).maxInFlight(2)
                .build();
        drain(executor.run(graph, source(3, 5)));
        for (int b = 0; b < 3; b++) {
            assertTrue(starts.indexOf("c" + b) < starts.indexOf("a" + (b + 2)) || starts.indexOf("a" + (b + 2)) < 0,
                    "c" + b + " after a" + (b + 2) + ": " + starts);
            assertTrue(starts.indexOf("b" + b) < starts.indexOf("c" + b), starts.toString());
        }
    }

    @Test
    void outputsInTheReadersHandsCountTowardsMaxInFlight() {
        AtomicInteger created = new AtomicInteger();
        AtomicInteger read = new AtomicInteger();
        AtomicInteger mostOutstanding = new AtomicInteger();
        BatchSource counted = alloc -> {
            var inner = source(300, 4).open(alloc);
            return new java.util.Iterator<>() {
                @Override
                public boolean hasNext() {
                    return inner.hasNext();
                }

                @Override
                public ArrowTable next() {
                    mostOutstanding.accumulateAndGet(created.incrementAndGet() - read.get(), Math::max);
                    return inner.next();
                }
            };
        };
        StreamGraph graph = StreamGraph.builder()
                .task("a", BatchInput::table).source("a").task("b", BatchInput::table, "a")
                .task("c", BatchInput::table, "a")
                .maxInFlight(4)
                .build();
        StreamResults results = executor.run(graph, counted);
        try (results) {
            while (results.hasNext()) {
                BatchResult r = results.next();
                r.close();
                if (r.task().equals("c")) {
                    read.incrementAndGet();
                }
            }
        }
        assertTrue(mostOutstanding.get() <= 4, "batches out at once: " + mostOutstanding.get());
        assertTrue(results.awaitSummary().progress().peakBatchesInFlight() <= 4);
    }

    @Test
    void readyCallsOfATaskReachThePlacementTogetherAndAnyPlacementRunsThem() throws Exception {
        ExecutorService threads = Executors.newFixedThreadPool(2);
        List<Integer> sizes = Collections.synchronizedList(new ArrayList<>());
        BatchPlacement local = BatchPlacement.local(threads);
        BatchPlacement recording = new BatchPlacement() {
            @Override
            public CompletionStage<ArrowTable> submit(BatchCall call) {
                return local.submit(call);
            }

            @Override
            public List<CompletionStage<ArrowTable>> submitAll(List<BatchCall> calls) {
                sizes.add(calls.size());
                return local.submitAll(calls);
            }
        };
        BatchPlacement oneByOne = local::submit;
        StreamGraph graph = StreamGraph.builder()
                .task("a", map(x -> x + 1)).source("a").task("b", map(x -> x * 2), "a")
                .parallelism(1).maxInFlight(8)
                .build();
        try {
            for (BatchPlacement placement : List.of(recording, oneByOne)) {
                StreamResults results = new StreamExecutor(testKit.system(), allocator, placement)
                        .run(graph, source(40, 3));
                assertEquals(40, drain(results));
                assertEquals(120, results.awaitSummary().task("b").rowsOut());
            }
            assertEquals(40, sizes.stream().mapToInt(Integer::intValue).sum());
            assertNotEquals(List.of(), sizes.stream().filter(n -> n > 1).toList(), "every trip took one call: " + sizes);
        } finally {
            threads.shutdown();
        }
    }
}
