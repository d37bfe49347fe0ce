package dev.weir.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.weir.cluster.channel.ArrowChannel;
import dev.weir.engine.data.ArrowTable;
import dev.weir.engine.stream.BatchFunction;
import dev.weir.engine.stream.BatchResult;
import dev.weir.engine.stream.BatchSource;
import dev.weir.engine.stream.StreamExecutor;
import dev.weir.engine.stream.StreamGraph;
import dev.weir.engine.stream.StreamResults;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.Float8Vector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.junit.jupiter.api.Test;

/**
 * A streaming graph's calls on two worker nodes through {@link ClusterBatchPlacement}: the outputs are
 * those of a local run, every node's memory ends at zero, and a worker stopped mid-stream loses no call.
 * The graph fans out, joins two inputs, and fuses the step after the join, so calls carry one and two
 * inputs and one and two tasks.
 */
class ClusterStreamingTest {

    private static final String FLOW = "scoring-stream";
    private static final String GRAPH = "orders";
    private static final int BATCHES = 30;
    private static final int ROWS = 2_000;
    /** How long each call of {@code score} sleeps, so that the stream is still going when a worker stops. */
    private static volatile long scoreMillis;
    /** The node (by its allocator) where {@code score} hangs, so that the node stops with calls in flight. */
    private static volatile BufferAllocator hangOn;
    /** The node (by its allocator) where {@code score} waits for {@link #gate}, so that a call is under way there. */
    private static volatile BufferAllocator holdOn;
    private static volatile java.util.concurrent.CountDownLatch gate = new java.util.concurrent.CountDownLatch(0);
    /** Calls of {@code score} waiting at the gate, and the tasks started on the node {@link #holdOn}. */
    private static final java.util.concurrent.atomic.AtomicInteger held = new java.util.concurrent.atomic.AtomicInteger();
    private static final java.util.concurrent.atomic.AtomicInteger startedOnHeld =
            new java.util.concurrent.atomic.AtomicInteger();

    @Test
    void callsRunOnTwoWorkersAndTheOutputEqualsALocalRun() throws Exception {
        scoreMillis = 0;
        StreamGraph graph = graph();
        Map<String, List<String>> local = runLocally(graph);
        try (TestCluster cluster = new TestCluster(); RootAllocator coordinatorMemory = new RootAllocator()) {
            FlowResolver flows = FlowResolver.of(ClusterStreamingTest.class, List.of(), Map.of(FLOW, Map.of(GRAPH, graph)));
            cluster.batchWorker(2, flows);
            cluster.batchWorker(2, flows);
            ArrowChannel channel = ArrowChannel.start("127.0.0.1", 0, null, Duration.ofSeconds(20));
            try (ClusterBatchPlacement placement = ClusterBatchPlacement.start(cluster.coordinator.system(), channel,
                    settings(graph, flows))) {
                awaitSlots(placement, 4);
                Map<String, List<String>> remote = outputs(new StreamExecutor(cluster.coordinator.system(),
                        coordinatorMemory, placement), graph, null);
                assertEquals(local, remote);
                Map<String, Integer> byNode = placement.callsByNode();
                assertEquals(2, byNode.size(), byNode::toString);
                // parse, score, flag and join+round (fused) on each of 30 batches
                assertEquals(4 * BATCHES, byNode.values().stream().mapToInt(Integer::intValue).sum(), byNode::toString);
            } finally {
                channel.close();
            }
            assertEquals(0, channel.offered());
            assertEquals(0, coordinatorMemory.getAllocatedMemory(), "the coordinator keeps no Arrow memory");
        } // each worker's allocator is closed when it stops, and fails on a leak
    }

    @Test
    void aWorkerStoppedMidStreamLosesNoCall() throws Exception {
        scoreMillis = 10;
        StreamGraph graph = graph();
        Map<String, List<String>> local = runLocally(graph);
        try (TestCluster cluster = new TestCluster(); RootAllocator coordinatorMemory = new RootAllocator()) {
            FlowResolver flows = FlowResolver.of(ClusterStreamingTest.class, List.of(), Map.of(FLOW, Map.of(GRAPH, graph)));
            TestCluster.WorkerNode doomed = cluster.batchWorker(2, flows);
            TestCluster.WorkerNode survivor = cluster.batchWorker(2, flows);
            ArrowChannel channel = ArrowChannel.start("127.0.0.1", 0, null, Duration.ofSeconds(20));
            try (ClusterBatchPlacement placement = ClusterBatchPlacement.start(cluster.coordinator.system(), channel,
                    settings(graph, flows))) {
                awaitSlots(placement, 4);
                CompletableFuture<Void> stopped = new CompletableFuture<>();
                Map<String, List<String>> remote = outputs(new StreamExecutor(cluster.coordinator.system(),
                        coordinatorMemory, placement), graph, () -> {
                            if (!stopped.isDone() && placement.callsByNode().getOrDefault(doomed.address(), 0) >= 10) {
                                stopped.complete(null);
                                hangOn = doomed.allocator; // its next calls of score never return
                                CompletableFuture.runAsync(doomed::stop,
                                        CompletableFuture.delayedExecutor(300, TimeUnit.MILLISECONDS));
                            }
                        });
                assertTrue(stopped.isDone(), "the worker was never stopped: " + placement.callsByNode());
                assertEquals(local, remote);
                Map<String, Integer> byNode = placement.callsByNode();
                assertTrue(byNode.getOrDefault(survivor.address(), 0) > 0, byNode::toString);
                // each call's output came back once, though some were sent twice
                assertEquals(4 * BATCHES, byNode.values().stream().mapToInt(Integer::intValue).sum(), byNode::toString);
                assertTrue(placement.attemptsLost() > 0, "no call was in flight on the stopped worker");
            } finally {
                channel.close();
            }
            assertEquals(0, coordinatorMemory.getAllocatedMemory(), "the coordinator keeps no Arrow memory");
        } finally {
            scoreMillis = 0;
            hangOn = null;
        }
    }

    @Test
    void aLeavingWorkerFinishesItsCallUnderWayThereAndNewCallsGoToTheOthers() throws Exception {
        scoreMillis = 0;
        StreamGraph graph = graph();
        Map<String, List<String>> local = runLocally(graph);
        try (TestCluster cluster = new TestCluster(); RootAllocator coordinatorMemory = new RootAllocator()) {
            FlowResolver flows = FlowResolver.of(ClusterStreamingTest.class, List.of(), Map.of(FLOW, Map.of(GRAPH, graph)));
            TestCluster.WorkerNode leaving = cluster.batchWorker(1, flows);
            TestCluster.WorkerNode kept = cluster.batchWorker(2, flows);
            // as weir node does: the node's graceful leave (SIGTERM) first drains its batch worker
            org.apache.pekko.actor.CoordinatedShutdown.get(leaving.system).addTask(
                    org.apache.pekko.actor.CoordinatedShutdown.PhaseServiceRequestsDone(), "weir-drain-calls",
                    () -> org.apache.pekko.actor.typed.javadsl.AskPattern.ask(leaving.batchWorker,
                            BatchWorker.Drain::new, Duration.ofSeconds(30), leaving.system.scheduler()));
            ArrowChannel channel = ArrowChannel.start("127.0.0.1", 0, null, Duration.ofSeconds(20));
            gate = new java.util.concurrent.CountDownLatch(1);
            held.set(0);
            startedOnHeld.set(0);
            holdOn = leaving.allocator;
            try (ClusterBatchPlacement placement = ClusterBatchPlacement.start(cluster.coordinator.system(), channel,
                    settings(graph, flows))) {
                awaitSlots(placement, 3);
                CompletableFuture<Map<String, List<String>>> remote = CompletableFuture.supplyAsync(() -> outputs(
                        new StreamExecutor(cluster.coordinator.system(), coordinatorMemory, placement), graph, null));
                awaitTrue(() -> held.get() == 1, "a call of score under way on the leaving worker");

                CompletableFuture<org.apache.pekko.Done> left = org.apache.pekko.actor.CoordinatedShutdown
                        .get(leaving.system).runAll(org.apache.pekko.actor.CoordinatedShutdown.jvmExitReason())
                        .toCompletableFuture();
                awaitTrue(() -> placement.slots() == 2, "the coordinator no longer counts the leaving worker's slot");
                int startedBeforeLeave = startedOnHeld.get();
                assertTrue(!left.isDone(), "the node left before its call under way ended");
                gate.countDown();

                left.get(30, TimeUnit.SECONDS);
                assertEquals(local, remote.get(60, TimeUnit.SECONDS));
                assertEquals(startedBeforeLeave, startedOnHeld.get(), "the leaving worker took a new call");
                assertEquals(0, placement.attemptsLost(), "the call under way on the leaving worker ran again elsewhere");
                Map<String, Integer> byNode = placement.callsByNode();
                assertEquals(startedBeforeLeave, byNode.get(leaving.address()), byNode::toString);
                assertEquals(4 * BATCHES, byNode.values().stream().mapToInt(Integer::intValue).sum(), byNode::toString);
                assertTrue(byNode.get(kept.address()) > 0, byNode::toString);
            } finally {
                gate.countDown();
                holdOn = null;
                channel.close();
            }
            assertEquals(0, coordinatorMemory.getAllocatedMemory(), "the coordinator keeps no Arrow memory");
        }
    }

    @Test
    void anObserverSeesTheStreamingCallAWorkerRunsNow() throws Exception {
        scoreMillis = 0;
        StreamGraph graph = graph();
        try (TestCluster cluster = new TestCluster(); RootAllocator coordinatorMemory = new RootAllocator()) {
            FlowResolver flows = FlowResolver.of(ClusterStreamingTest.class, List.of(), Map.of(FLOW, Map.of(GRAPH, graph)));
            TestCluster.WorkerNode busy = cluster.batchWorker(1, flows);
            ArrowChannel channel = ArrowChannel.start("127.0.0.1", 0, null, Duration.ofSeconds(20));
            org.apache.pekko.actor.typed.ActorSystem<Void> observer = org.apache.pekko.actor.typed.ActorSystem.create(
                    org.apache.pekko.actor.typed.javadsl.Behaviors.empty(), "weir", TestCluster.config("observer"));
            org.apache.pekko.cluster.typed.Cluster.get(observer).manager().tell(org.apache.pekko.cluster.typed.Join
                    .create(org.apache.pekko.cluster.typed.Cluster.get(cluster.coordinator.system()).selfMember().address()));
            gate = new java.util.concurrent.CountDownLatch(1);
            held.set(0);
            holdOn = busy.allocator;
            try (ClusterBatchPlacement placement = ClusterBatchPlacement.start(cluster.coordinator.system(), channel,
                    settings(graph, flows))) {
                awaitSlots(placement, 1);
                CompletableFuture<Map<String, List<String>>> remote = CompletableFuture.supplyAsync(() -> outputs(
                        new StreamExecutor(cluster.coordinator.system(), coordinatorMemory, placement), graph, null));
                awaitTrue(() -> held.get() == 1, "a call of score under way on the worker");

                WorkerStatus seen = workerSeenBy(observer, busy.address());
                assertEquals(0, seen.freeSlots(), seen::toString);
                assertEquals(1, seen.calls().size(), seen::toString);
                WorkerStatus.CallInFlight call = seen.calls().get(0);
                assertEquals(List.of(FLOW, GRAPH, List.of("score"), 1), List.of(call.flow(), call.graph(), call.tasks(),
                        call.attempt()), call::toString);
                assertTrue(call.call().startsWith(org.apache.pekko.cluster.typed.Cluster.get(
                        cluster.coordinator.system()).selfMember().address() + "/stream-"), call::toString);
                assertTrue(call.batchId() >= 0 && call.millis() >= 0, call::toString);

                gate.countDown();
                remote.get(60, TimeUnit.SECONDS);
                WorkerStatus after = workerSeenBy(observer, busy.address());
                assertEquals(List.of(), after.calls(), after::toString);
                assertEquals(1, after.freeSlots(), after::toString);
            } finally {
                gate.countDown();
                holdOn = null;
                channel.close();
                observer.terminate();
            }
        }
    }

    private static WorkerStatus workerSeenBy(org.apache.pekko.actor.typed.ActorSystem<?> observer, String node)
            throws Exception {
        ClusterStatus status = ClusterObserver.observe(observer, Duration.ofSeconds(20), Duration.ofSeconds(5))
                .toCompletableFuture().get(60, TimeUnit.SECONDS);
        return status.members().stream().filter(m -> m.address().equals(node)).findFirst()
                .map(ClusterStatus.Member::worker).orElseThrow(() -> new AssertionError("no answer of " + node + ": "
                        + status));
    }

    private static void awaitTrue(java.util.function.BooleanSupplier condition, String what) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("not within 30 s: " + what);
            }
            Thread.sleep(20);
        }
    }

    /**
     * A worker leaves while it pulls a call's input (the transfer under way, unacknowledged): the call runs
     * again elsewhere and the output is exact, and as the run ends the memory it ran in (a task's allocator)
     * holds nothing: the batches offered belong to the side channel, which cuts the abandoned transfer off.
     */
    @Test
    void aWorkerLostWhileItPullsACallsInputLeavesNoneOfTheRunsMemoryHeld() throws Exception {
        scoreMillis = 0;
        StreamGraph graph = graph();
        Map<String, List<String>> local = runLocally(graph);
        try (TestCluster cluster = new TestCluster(); RootAllocator coordinatorMemory = new RootAllocator()) {
            FlowResolver flows = FlowResolver.of(ClusterStreamingTest.class, List.of(), Map.of(FLOW, Map.of(GRAPH, graph)));
            TestCluster.WorkerNode leaving = cluster.bareNode();
            ArrowChannel channel = ArrowChannel.start("127.0.0.1", 0, null, Duration.ofSeconds(60));
            BufferAllocator task = coordinatorMemory.newChildAllocator("task-stream", 0, Long.MAX_VALUE);
            try (HoldingWorker holding = HoldingWorker.calls(leaving, 4);
                 ClusterBatchPlacement placement = ClusterBatchPlacement.start(cluster.coordinator.system(), channel,
                         settings(graph, flows))) {
                cluster.batchWorker(2, flows);
                awaitSlots(placement, 6);
                CompletableFuture<Map<String, List<String>>> remote = CompletableFuture.supplyAsync(() -> outputs(
                        new StreamExecutor(cluster.coordinator.system(), task, placement), graph, null));
                long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
                while (!holding.streaming()) {
                    assertTrue(System.nanoTime() < deadline, "the holding worker never began pulling a call's input");
                    Thread.sleep(10);
                }
                leaving.system.terminate(); // its calls go again to the other worker; its pull stays under way
                assertEquals(local, remote.get(60, TimeUnit.SECONDS));
                assertTrue(placement.attemptsLost() > 0, "the leaving worker's calls were sent again");
                assertEquals(0, task.getAllocatedMemory(), "the run's memory holds none of the batches it offered");
                task.close();
            } finally {
                channel.close();
            }
            assertEquals(0, coordinatorMemory.getAllocatedMemory(), "the coordinator keeps no Arrow memory");
        }
    }

    @Test
    void aTaskThatThrowsOnAWorkerFailsTheRunNamingTheTaskTheBatchAndTheNode() throws Exception {
        StreamGraph graph = StreamGraph.builder()
                .task("parse", keep(amount -> amount >= 0)).source("parse")
                .task("score", in -> {
                    if (in.batchId() == 3) {
                        throw new IllegalStateException("no score for batch 3");
                    }
                    return map(in.allocator(), in.table(), amount -> amount * 1.1);
                }, "parse")
                .set("call-timeout", "60s")
                .maxBatches(BATCHES)
                .build();
        try (TestCluster cluster = new TestCluster(); RootAllocator coordinatorMemory = new RootAllocator()) {
            FlowResolver flows = FlowResolver.of(ClusterStreamingTest.class, List.of(), Map.of(FLOW, Map.of(GRAPH, graph)));
            TestCluster.WorkerNode worker = cluster.batchWorker(2, flows);
            ArrowChannel channel = ArrowChannel.start("127.0.0.1", 0, null, Duration.ofSeconds(20));
            try (ClusterBatchPlacement placement = ClusterBatchPlacement.start(cluster.coordinator.system(), channel,
                    settings(graph, flows))) {
                awaitSlots(placement, 2);
                var failed = org.junit.jupiter.api.Assertions.assertThrows(
                        dev.weir.engine.stream.StreamFailedException.class, () -> outputs(new StreamExecutor(
                                cluster.coordinator.system(), coordinatorMemory, placement), graph, null));
                String message = failed.getMessage();
                assertTrue(message.contains("'score'") && message.contains("batch 3")
                        && message.contains("no score for batch 3") && message.contains(worker.address()), message);
                assertEquals(0, placement.attemptsLost(), "a task's own failure is not retried");
            } finally {
                channel.close();
            }
            assertEquals(0, coordinatorMemory.getAllocatedMemory(), "the coordinator keeps no Arrow memory");
        }
    }

    /** Waits until the placement knows workers with {@code slots} slots in all (the Receptionist is eventual). */
    private static void awaitSlots(ClusterBatchPlacement placement, int slots) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (placement.slots() < slots) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("the batch workers offered " + placement.slots() + " slots in 20 s, not " + slots);
            }
            Thread.sleep(50);
        }
    }

    private static ClusterBatchPlacement.Settings settings(StreamGraph graph, FlowResolver flows) {
        return new ClusterBatchPlacement.Settings(FLOW, flows.codeHash(FLOW).orElseThrow(), GRAPH, graph,
                Duration.ofSeconds(20), 3);
    }

    private static Map<String, List<String>> runLocally(StreamGraph graph) {
        org.apache.pekko.actor.typed.ActorSystem<Void> system = org.apache.pekko.actor.typed.ActorSystem.create(
                org.apache.pekko.actor.typed.javadsl.Behaviors.empty(), "local-stream");
        try (RootAllocator memory = new RootAllocator()) {
            return outputs(new StreamExecutor(system, memory), graph, null);
        } finally {
            system.terminate();
            system.getWhenTerminated().toCompletableFuture().orTimeout(20, TimeUnit.SECONDS).join();
        }
    }

    /** Every output row by task, sorted; {@code eachOutput} runs after each output (may be null). */
    private static Map<String, List<String>> outputs(StreamExecutor executor, StreamGraph graph, Runnable eachOutput) {
        Map<String, List<String>> rows = new TreeMap<>();
        try (StreamResults results = executor.run(graph, source())) {
            while (results.hasNext()) {
                try (BatchResult result = results.next()) {
                    List<String> out = rows.computeIfAbsent(result.task(), t -> new ArrayList<>());
                    for (VectorSchemaRoot root : result.table().batches()) {
                        BigIntVector ids = (BigIntVector) root.getVector("order_id");
                        Float8Vector amounts = (Float8Vector) root.getVector("amount");
                        for (int i = 0; i < root.getRowCount(); i++) {
                            out.add(ids.get(i) + ":" + amounts.get(i));
                        }
                    }
                }
                if (eachOutput != null) {
                    eachOutput.run();
                }
            }
            results.awaitSummary();
        }
        rows.values().forEach(Collections::sort);
        return rows;
    }

    /**
     * parse (drops refunds) feeds score (amount × 1.1) and flag (amount ≥ 500); join keeps the scored
     * rows that were flagged; round (fused after join) rounds to cents.
     */
    static StreamGraph graph() {
        return StreamGraph.builder()
                .task("parse", counted(keep(amount -> amount >= 0))).source("parse")
                .task("score", counted(in -> {
                    if (scoreMillis > 0) {
                        Thread.sleep(in.allocator() == hangOn ? 3_000 : scoreMillis);
                    }
                    if (in.allocator() == holdOn) {
                        held.incrementAndGet();
                        gate.await(60, TimeUnit.SECONDS);
                    }
                    return map(in.allocator(), in.table(), amount -> amount * 1.1);
                }), "parse")
                .task("flag", counted(keep(amount -> amount >= 500)), "parse")
                .task("join", counted(in -> join(in.allocator(), in.table("score"), in.table("flag"))), "score", "flag")
                .task("round", in -> map(in.allocator(), in.table(), amount -> Math.round(amount * 100) / 100.0), "join")
                .set("call-timeout", "60s")
                .maxBatches(BATCHES)
                .build();
    }

    /** {@code function}, counting in {@link #startedOnHeld} the calls that start on the node {@link #holdOn}. */
    private static BatchFunction counted(BatchFunction function) {
        return in -> {
            if (in.allocator() == holdOn) {
                startedOnHeld.incrementAndGet();
            }
            return function.apply(in);
        };
    }

    static BatchSource source() {
        return allocator -> new Iterator<>() {
            private long batch;

            @Override
            public boolean hasNext() {
                return true;
            }

            @Override
            public ArrowTable next() {
                long first = batch++ * ROWS;
                long[] ids = new long[ROWS];
                double[] amounts = new double[ROWS];
                for (int i = 0; i < ROWS; i++) {
                    ids[i] = first + i;
                    amounts[i] = ((first + i) * 7919 % 100_000) / 100.0 - 50;
                }
                return table(allocator, ids, amounts);
            }
        };
    }

    private static BatchFunction keep(java.util.function.DoublePredicate test) {
        return in -> {
            List<long[]> kept = new ArrayList<>();
            forEachRow(in.table(), (id, amount) -> {
                if (test.test(amount)) {
                    kept.add(new long[] {id, Double.doubleToLongBits(amount)});
                }
            });
            return fromRows(in.allocator(), kept);
        };
    }

    private static ArrowTable map(BufferAllocator allocator, ArrowTable input,
                                  java.util.function.DoubleUnaryOperator f) {
        List<long[]> out = new ArrayList<>();
        forEachRow(input, (id, amount) -> out.add(new long[] {id, Double.doubleToLongBits(f.applyAsDouble(amount))}));
        return fromRows(allocator, out);
    }

    private static ArrowTable join(BufferAllocator allocator, ArrowTable scored, ArrowTable flagged) {
        java.util.Set<Long> flaggedIds = new java.util.HashSet<>();
        forEachRow(flagged, (id, amount) -> flaggedIds.add(id));
        List<long[]> out = new ArrayList<>();
        forEachRow(scored, (id, amount) -> {
            if (flaggedIds.contains(id)) {
                out.add(new long[] {id, Double.doubleToLongBits(amount)});
            }
        });
        return fromRows(allocator, out);
    }

    private interface RowConsumer {
        void accept(long id, double amount);
    }

    private static void forEachRow(ArrowTable table, RowConsumer consumer) {
        for (VectorSchemaRoot root : table.batches()) {
            BigIntVector ids = (BigIntVector) root.getVector("order_id");
            Float8Vector amounts = (Float8Vector) root.getVector("amount");
            for (int i = 0; i < root.getRowCount(); i++) {
                consumer.accept(ids.get(i), amounts.get(i));
            }
        }
    }

    private static ArrowTable fromRows(BufferAllocator allocator, List<long[]> rows) {
        long[] ids = new long[rows.size()];
        double[] amounts = new double[rows.size()];
        for (int i = 0; i < rows.size(); i++) {
            ids[i] = rows.get(i)[0];
            amounts[i] = Double.longBitsToDouble(rows.get(i)[1]);
        }
        return table(allocator, ids, amounts);
    }

    private static ArrowTable table(BufferAllocator allocator, long[] idValues, double[] amountValues) {
        BigIntVector ids = new BigIntVector("order_id", allocator);
        Float8Vector amounts = new Float8Vector("amount", allocator);
        ids.allocateNew(idValues.length);
        amounts.allocateNew(idValues.length);
        for (int i = 0; i < idValues.length; i++) {
            ids.set(i, idValues[i]);
            amounts.set(i, amountValues[i]);
        }
        ids.setValueCount(idValues.length);
        amounts.setValueCount(idValues.length);
        return ArrowTable.of(VectorSchemaRoot.of(ids, amounts));
    }
}
