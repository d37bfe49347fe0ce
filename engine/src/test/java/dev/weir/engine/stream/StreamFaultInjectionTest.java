package dev.weir.engine.stream;

import static dev.weir.engine.stream.TestBatches.ids;
import static dev.weir.engine.stream.TestBatches.map;
import static dev.weir.engine.stream.TestBatches.onEachPull;
import static dev.weir.engine.stream.TestBatches.source;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.weir.engine.data.ArrowTable;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Faults in user code around a streaming run — the source, a batch function, a placement — each fail the
 * run with an error naming where it happened, within a bound (no run waits for a message that never
 * comes), and free every batch (the fixture's allocator check).
 */
class StreamFaultInjectionTest extends StreamExecutorFixture {

    /** Waits a bounded time for the run to end and returns its failure. */
    private static StreamFailedException failureOf(StreamResults results) throws Exception {
        try (results) {
            ExecutionException e = assertThrows(ExecutionException.class,
                    () -> results.summary().toCompletableFuture().get(30, TimeUnit.SECONDS));
            return assertInstanceOf(StreamFailedException.class, e.getCause());
        }
    }

    private static StreamGraph twoTasks() {
        return StreamGraph.builder()
                .task("parse", map(x -> x)).source("parse")
                .task("score", map(x -> x + 1), "parse")
                .maxInFlight(8)
                .build();
    }

    @Test
    void aSourceYieldingNullFailsTheRunNamingTheSource() throws Exception {
        BatchSource yieldsNull = allocator -> new Iterator<>() {
            private int next;

            @Override
            public boolean hasNext() {
                return true;
            }

            @Override
            public ArrowTable next() {
                return next++ == 0 ? ids(allocator, 0, 10) : null;
            }
        };
        StreamFailedException e = failureOf(executor.run(twoTasks(), yieldsNull));
        assertEquals(StreamGraph.SOURCE, e.task());
        assertTrue(e.getMessage().contains("the source yielded null instead of an ArrowTable"), e.getMessage());
    }

    @Test
    void anErrorThrownBySourceMidPullFailsTheRunAndFreesTheBatchesOfThatPull() throws Exception {
        BatchSource breaks = onEachPull(source(-1, 10), pull -> {
            if (pull == 2) {
                throw new AssertionError("corrupt page in input.arrow");
            }
        });
        StreamFailedException e = failureOf(executor.run(twoTasks(), breaks));
        assertEquals(StreamGraph.SOURCE, e.task());
        assertTrue(e.getMessage().contains("corrupt page in input.arrow"), e.getMessage());
    }

    @Test
    void anErrorThrownByABatchFunctionFailsTheRunNamingTheTaskAndTheBatch() throws Exception {
        StreamGraph graph = StreamGraph.builder()
                .task("parse", map(x -> x)).source("parse")
                .task("score", in -> {
                    if (in.batchId() == 1) {
                        throw new StackOverflowError("recursion in score");
                    }
                    return in.table();
                }, "parse")
                .build();
        StreamFailedException e = failureOf(executor.run(graph, source(10, 4)));
        assertEquals("score", e.task());
        assertEquals(1, e.batchId());
        assertTrue(e.getMessage().contains("recursion in score"), e.getMessage());
    }

    @Test
    void aPlacementThatThrowsInsteadOfTakingTheCallsFailsTheRunNamingTheTask() throws Exception {
        BatchPlacement local = BatchPlacement.local(Runnable::run);
        BatchPlacement noWorkers = new BatchPlacement() {
            @Override
            public CompletionStage<ArrowTable> submit(BatchCall call) {
                return local.submit(call);
            }

            @Override
            public void submitAll(List<BatchCall> calls, FollowUp followUp) {
                throw new IllegalStateException("no worker has a free slot");
            }
        };
        StreamExecutor onNoWorkers = new StreamExecutor(testKit.system(), allocator, noWorkers);
        StreamFailedException e = failureOf(onNoWorkers.run(twoTasks(), source(10, 4)));
        assertEquals("parse", e.task());
        assertTrue(e.getMessage().contains("no worker has a free slot"), e.getMessage());
    }
}
