package dev.weir.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.weir.cluster.channel.ArrowChannel;
import dev.weir.engine.Flow;
import dev.weir.engine.Ref;
import dev.weir.engine.Result;
import dev.weir.engine.RunOptions;
import dev.weir.engine.TaskContext;
import dev.weir.engine.config.InstanceConfig;
import dev.weir.engine.data.ArrowTable;
import dev.weir.engine.stream.BatchResult;
import dev.weir.engine.stream.StreamExecutor;
import dev.weir.engine.stream.StreamGraph;
import dev.weir.engine.stream.StreamResults;
import dev.weir.testkit.FlowTestKit;
import dev.weir.testpostgres.TestPostgres;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.Float8Vector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A flow's task runs a streaming graph with the placement its context gives it
 * ({@code TaskContext.streamPlacement}): on a run whose chunk placement is the cluster's, with a side
 * channel, the graph's calls run on the workers, and the task's value is that of a run without the cluster.
 */
class ClusterStreamingFlowTest {

    private static final String FLOW = "stream-in-a-task";
    private static final String GRAPH = "orders";

    @TempDir
    Path dir;
    private TestCluster cluster;
    private FlowTestKit kit;

    @BeforeEach
    void start() {
        TestPostgres.require(); // the PG* variables' server, else an embedded one; skips (fails under CI) without
        cluster = new TestCluster();
        kit = FlowTestKit.create(cluster.coordinator, dir).timeout(Duration.ofSeconds(60));
    }

    @AfterEach
    void stop() {
        if (kit != null) {
            kit.close();
        }
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    void aTasksStreamingGraphRunsItsCallsOnTheRunsWorkers() throws Exception {
        StreamGraph graph = ClusterStreamingTest.graph();
        Ref[] counts = new Ref[1];
        Flow flow = Flow.define(FLOW, f -> counts[0] = f.stage("stream").task("orders").version("1")
                .produces(ctx -> run(ctx, graph)).ref());
        FlowResolver flows = FlowResolver.of(ClusterStreamingFlowTest.class, List.of(flow),
                Map.of(FLOW, Map.of(GRAPH, graph)));
        InstanceConfig instance = kit.postgresInstance("mini");
        cluster.batchWorker(2, flows);
        cluster.batchWorker(2, flows);
        ArrowChannel channel = ArrowChannel.start("127.0.0.1", 0, null, Duration.ofSeconds(20));
        try (ClusterPlacement placement = ClusterPlacement.start(cluster.coordinator.system(), flows, channel)) {
            Result onCluster = kit.run(flow, instance, RunOptions.defaults().chunkPlacement(placement)).result();
            assertTrue(onCluster.successful(), () -> "the cluster run failed: " + onCluster.failure());
            Map<String, Integer> byNode = placement.streamCallsByNode();
            // the run's calls went to the workers (how they spread is ClusterStreamingTest's concern: the
            // graph's placement starts with the run, and meets the workers as the Receptionist lists them)
            assertEquals(4 * 30, byNode.values().stream().mapToInt(Integer::intValue).sum(), byNode::toString);
            Result local = kit.run(flow, kit.postgresInstance("local")).result();
            assertTrue(local.successful(), () -> "the local run failed: " + local.failure());
            assertEquals(local.get(counts[0], Map.class), onCluster.get(counts[0], Map.class));
            assertEquals(byNode, placement.streamCallsByNode(), "the run without the cluster ran its calls here");
            assertEquals(0, channel.offered(), "every batch sent was acknowledged or withdrawn");
        } finally {
            channel.close();
        }
    }

    /** Runs the graph with the context's placement; returns rows and a checksum of the terminal's output. */
    private Map<String, Object> run(TaskContext ctx, StreamGraph graph) {
        StreamExecutor executor = new StreamExecutor(cluster.coordinator.system(), ctx.allocator(),
                ctx.streamPlacement(GRAPH, graph));
        List<String> rows = new ArrayList<>();
        try (StreamResults results = executor.run(graph, ClusterStreamingTest.source())) {
            while (results.hasNext()) {
                try (BatchResult result = results.next()) {
                    ArrowTable table = result.table();
                    for (VectorSchemaRoot root : table.batches()) {
                        BigIntVector ids = (BigIntVector) root.getVector("order_id");
                        Float8Vector amounts = (Float8Vector) root.getVector("amount");
                        for (int i = 0; i < root.getRowCount(); i++) {
                            rows.add(result.task() + ":" + ids.get(i) + ":" + amounts.get(i));
                        }
                    }
                }
            }
            results.awaitSummary();
        }
        Collections.sort(rows);
        Map<String, Object> value = new TreeMap<>();
        value.put("rows", rows.size());
        value.put("checksum", String.join(",", rows).hashCode());
        return value;
    }
}
