package dev.weir.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.weir.cluster.channel.ArrowChannel;
import dev.weir.engine.placement.ChunkCall;
import dev.weir.engine.placement.ChunkCallback;
import dev.weir.engine.placement.ChunkComputed;
import dev.weir.engine.placement.ChunkError;
import dev.weir.engine.placement.ChunkUploaded;
import dev.weir.engine.placement.ChunkWork;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BooleanSupplier;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A chunk attempt with inlined rows that its run drops (cancels, or interrupts when its task fails or times
 * out) frees those rows within that call, wherever the attempt is — waiting for a worker, or offered to one
 * that has not pulled them — so that the run can close its memory as soon as it hears the attempt ended,
 * without waiting for the dispatcher. A transfer under way is cut off and freed by the side channel.
 */
class ClusterDroppedAttemptsTest {

    private TestCluster cluster;
    private ArrowChannel channel;
    private RootAllocator memory;
    private BufferAllocator task;
    private ClusterPlacement placement;
    private final List<String> reports = new CopyOnWriteArrayList<>();

    @BeforeEach
    void start() {
        cluster = new TestCluster();
        channel = ArrowChannel.start("127.0.0.1", 0, null, Duration.ofSeconds(60));
        memory = new RootAllocator();
        task = memory.newChildAllocator("task-score", 0, Long.MAX_VALUE);
        placement = ClusterPlacement.start(cluster.coordinator.system(),
                FlowResolver.of(ScoringFlow.class, List.of(ScoringFlow.inlined(100))), channel);
    }

    @AfterEach
    void stop() {
        if (placement != null) {
            placement.close();
        }
        channel.close(); // fails when it still holds memory
        task.close(); // fails on a leak
        memory.close();
        cluster.close();
    }

    @Test
    void anAttemptCancelledWhileItWaitsForAWorkerFreesItsRowsWithinTheCall() {
        // no worker has joined: the chunk waits in the dispatcher with its rows
        ChunkCall call = placement.start(work(0), Map.of("orders", ScoringFlow.generate(1_000, task)), callback());
        call.cancel();
        assertEquals(0, task.getAllocatedMemory(), "the task's memory holds none of the cancelled chunk's rows");
        assertEquals(0, memory.getAllocatedMemory());
        assertEquals(List.of(), reports, "a cancelled attempt reports nothing");
    }

    @Test
    void anAttemptInterruptedBeforeItsWorkerPulledItsRowsFreesThemWithinTheCall() throws Exception {
        try (HoldingWorker holding = HoldingWorker.chunks(cluster.bareNode(), 2)) {
            ClusterRuns.awaitSlots(placement, 2, Duration.ofSeconds(20));
            ChunkCall pulling = placement.start(work(0), Map.of("orders", ScoringFlow.generate(1_000, task)),
                    callback());
            await(() -> holding.streaming(), "the worker began pulling the first chunk's rows");
            ChunkCall waiting = placement.start(work(1), Map.of("orders", ScoringFlow.generate(1_000, task)),
                    callback());
            await(() -> holding.received().size() == 2, "the worker took the second chunk");
            assertEquals(0, task.getAllocatedMemory(), "offered rows belong to the side channel");
            assertEquals(2, channel.offered());

            waiting.interrupt("task 'score' failed");
            assertEquals(1, channel.offered(), "the rows its worker had not pulled are freed within the call");

            pulling.interrupt("task 'score' failed");
            await(() -> channel.offered() == 0, "the transfer under way is cut off and its rows freed");
            assertEquals(0, memory.getAllocatedMemory());
            assertEquals(List.of(), reports, "an interrupted attempt reports nothing");
        }
    }

    private ChunkCallback callback() {
        return new ChunkCallback() {
            @Override
            public void computed(ChunkComputed computed) {
                reports.add("computed");
            }

            @Override
            public void uploaded(ChunkUploaded uploaded) {
                reports.add("uploaded");
            }

            @Override
            public void failed(ChunkError error, boolean duringUpload) {
                reports.add("failed: " + error);
            }
        };
    }

    private static ChunkWork work(int chunk) {
        return new ChunkWork("run-1", ScoringFlow.INLINED, "mini", false, "postgres", "scored", "score", chunk,
                "bucket " + (chunk + 1) + " of 8", null, 1, List.of(new ChunkWork.Input("orders",
                ChunkWork.InputKind.INLINE, "raw", "orders", "orders", false, null, "orders", null, null)),
                "mini_scored__tx", "pos-" + chunk, "full-" + chunk, "", "attrs");
    }

    /** Waits for {@code condition}, failing after 10 s (far less than the channel's transfer timeout). */
    private static void await(BooleanSupplier condition, String what) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (!condition.getAsBoolean()) {
            assertTrue(System.nanoTime() < deadline, "within 10 s: " + what);
            Thread.sleep(10);
        }
    }
}
