package dev.weir.engine.stream;

import static dev.weir.engine.stream.TestBatches.ids;
import static dev.weir.engine.stream.TestBatches.map;
import static dev.weir.engine.stream.TestBatches.values;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.weir.engine.data.ArrowTable;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.arrow.memory.RootAllocator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** How a placement runs calls and the calls that follow them (closing the allocator checks for leaks). */
class BatchPlacementTest {

    private RootAllocator allocator;
    private ExecutorService threads;

    @BeforeEach
    void start() {
        allocator = new RootAllocator();
        threads = Executors.newFixedThreadPool(2);
    }

    @AfterEach
    void noLeaks() throws InterruptedException {
        threads.shutdown();
        threads.awaitTermination(10, TimeUnit.SECONDS);
        allocator.close();
    }

    private BatchCall call(String task, long batchId, ArrowTable input, List<String> threadsSeen) {
        BatchFunction plusOne = map(x -> x + 1);
        return new BatchCall(task, batchId, Map.of(StreamGraph.SOURCE, input), Map.of(), allocator, in -> {
            threadsSeen.add(Thread.currentThread().getName());
            return plusOne.apply(in);
        });
    }

    /** Follows each call with one more on its output, {@code times} times, then collects the last outputs' values. */
    private BatchPlacement.FollowUp plusOneMore(int times, List<String> threadsSeen, CompletableFuture<List<Long>> done) {
        return new BatchPlacement.FollowUp() {
            private int followed;

            @Override
            public List<BatchCall> next(List<CompletionStage<ArrowTable>> ended) {
                List<ArrowTable> outputs = ended.stream().map(s -> s.toCompletableFuture().join()).toList();
                if (followed++ < times) {
                    return outputs.stream().map(t -> call("next", 0, t, threadsSeen)).toList();
                }
                List<Long> all = new ArrayList<>();
                outputs.forEach(t -> {
                    all.addAll(values(t));
                    t.close();
                });
                done.complete(all);
                return List.of();
            }
        };
    }

    @Test
    void theLocalPlacementRunsFollowingCallsOnTheThreadThatRanTheCallsBefore() {
        List<String> seen = java.util.Collections.synchronizedList(new ArrayList<>());
        CompletableFuture<List<Long>> done = new CompletableFuture<>();
        BatchPlacement.local(threads).submitAll(List.of(call("first", 0, ids(allocator, 0, 2), seen),
                call("first", 1, ids(allocator, 10, 1), seen)), plusOneMore(2, seen, done));
        assertEquals(List.of(3L, 4L, 13L), done.join());
        assertEquals(6, seen.size());
        assertEquals(1, seen.stream().distinct().count(), "calls ran on " + seen);
    }

    @Test
    void aPlacementThatOnlySubmitsRunsFollowingCallsToo() {
        List<String> seen = java.util.Collections.synchronizedList(new ArrayList<>());
        CompletableFuture<List<Long>> done = new CompletableFuture<>();
        BatchPlacement oneByOne = BatchPlacement.local(threads)::submit;
        oneByOne.submitAll(List.of(call("first", 0, ids(allocator, 0, 3), seen)), plusOneMore(3, seen, done));
        assertEquals(List.of(4L, 5L, 6L), done.join());
        assertEquals(4, seen.size());
    }

    @Test
    void callsThePlacementCannotStartAreReportedFailedWithTheirInputsClosed() {
        threads.shutdown();
        CompletableFuture<List<Throwable>> failures = new CompletableFuture<>();
        BatchPlacement.local(threads).submitAll(List.of(call("first", 0, ids(allocator, 0, 2), new ArrayList<>())),
                ended -> {
                    List<Throwable> errors = new ArrayList<>();
                    for (CompletionStage<ArrowTable> stage : ended) {
                        try {
                            stage.toCompletableFuture().join().close();
                        } catch (CompletionException e) {
                            errors.add(e.getCause());
                        }
                    }
                    failures.complete(errors);
                    return List.of();
                });
        List<Throwable> errors = failures.join();
        assertEquals(1, errors.size());
        assertInstanceOf(RejectedExecutionException.class, errors.get(0));
        assertTrue(allocator.getAllocatedMemory() == 0, "inputs left open: " + allocator.getAllocatedMemory());
    }
}
