package dev.weir.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.weir.engine.Flow;
import dev.weir.engine.Ref;
import dev.weir.engine.Result;
import dev.weir.engine.RunOptions;
import dev.weir.engine.Stage;
import dev.weir.engine.Table;
import dev.weir.engine.batch.Batched;
import dev.weir.engine.config.InstanceConfig;
import dev.weir.engine.data.Rows;
import dev.weir.engine.placement.ChunkCall;
import dev.weir.engine.placement.ChunkCallback;
import dev.weir.engine.placement.ChunkError;
import dev.weir.engine.placement.ChunkPlacement;
import dev.weir.engine.placement.ChunkWork;
import dev.weir.engine.runtime.ChunkWorker;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.apache.arrow.memory.RootAllocator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The engine's chunk placement SPI without a network: a placement that hands each chunk, as a
 * {@link ChunkWork} value, to a {@link ChunkWorker} of its own (its own store connections and allocator),
 * as a worker node would. The output equals a run in the engine's own chunks; a chunk lost by its
 * "node" runs again with the next attempt; chunks without rows still give the output its columns.
 */
class ChunkPlacementTest {

    @TempDir
    Path dir;

    private static Flow flow() {
        return Flow.define("placed", f -> {
            Stage raw = f.stage("raw");
            Ref orders = raw.task("orders").version("1").produces(ctx -> {
                Rows.Builder rows = Rows.builder("order_id", "customer_id", "amount");
                for (long i = 0; i < 3_000; i++) {
                    rows.add(i, (int) (i % 3), i / 10.0);
                }
                return Table.of(rows.build(), "orders");
            }).ref();
            Ref factor = raw.task("factor").version("1").produces(ctx -> 4).ref();
            f.stage("scored").task("score").version("1").input("orders", orders, Rows.class).input("factor", factor)
                    .constant("offset", 10)
                    .batched(Batched.hashOf("customer_id", 8).computeParallelism(1).uploadParallelism(2))
                    .produces(ctx -> {
                        int k = ((Number) ctx.input("factor", Object.class)).intValue();
                        int offset = ctx.input("offset", Integer.class);
                        Rows.Builder out = Rows.builder("order_id", "score");
                        for (dev.weir.engine.data.Row row : ctx.input("orders", Rows.class)) {
                            out.add(row.getLong("order_id"), row.getDouble("amount") * k + offset);
                        }
                        return Table.of(out.build(), "scores");
                    });
        });
    }

    @Test
    void chunksPlacedAsValuesGiveTheLocalOutputAndALostChunkRunsAgain() throws Exception {
        try (FlowTestKit kit = FlowTestKit.create(dir); RootAllocator workerMemory = new RootAllocator();
             ChunkWorker worker = new ChunkWorker(workerMemory, getClass().getClassLoader())) {
            Flow flow = flow();
            InstanceConfig placed = kit.postgresInstance("placed");
            ExecutorService node = Executors.newFixedThreadPool(3);
            try {
                InJvmNode placement = new InJvmNode(worker, flow, placed, node, Set.of(2));
                Result remote = kit.run(flow, placed, RunOptions.defaults().chunkPlacement(placement)).result();
                assertTrue(remote.successful(), () -> "the placed run failed: " + remote.failure());
                Result local = kit.run(flow, kit.postgresInstance("local")).result();
                assertTrue(local.successful(), () -> "the local run failed: " + local.failure());
                Map<Object, Object> expected = scores(local);
                assertEquals(3_000, expected.size());
                assertEquals(expected, scores(remote));
                assertEquals(List.of(1, 2), placement.attemptsOf(2), "the lost chunk runs again as attempt 2");
                for (int chunk = 0; chunk < 8; chunk++) {
                    assertEquals(chunk == 2 ? 2 : 1, placement.attemptsOf(chunk).size(), "chunk " + chunk);
                }
            } finally {
                node.shutdownNow();
            }
        }
    }

    private static Map<Object, Object> scores(Result result) {
        Rows rows = result.get(new Ref("scored", "score", "scores"), Rows.class);
        Map<Object, Object> byOrder = new TreeMap<>();
        for (dev.weir.engine.data.Row row : rows) {
            byOrder.put(row.getLong("order_id"), row.get("score"));
        }
        assertEquals(rows.size(), byOrder.size(), "an order appears twice");
        return byOrder;
    }

    /** A "node" in this JVM: runs each chunk with the worker's entry point on a pool of its own. */
    private static final class InJvmNode implements ChunkPlacement {
        private final ChunkWorker worker;
        private final Flow flow;
        private final InstanceConfig instance;
        private final ExecutorService pool;
        private final Set<Integer> loseOnce;
        private final Map<Integer, List<Integer>> attempts = Collections.synchronizedMap(new TreeMap<>());

        InJvmNode(ChunkWorker worker, Flow flow, InstanceConfig instance, ExecutorService pool, Set<Integer> loseOnce) {
            this.worker = worker;
            this.flow = flow;
            this.instance = instance;
            this.pool = pool;
            this.loseOnce = Collections.synchronizedSet(new HashSet<>(loseOnce));
        }

        List<Integer> attemptsOf(int chunk) {
            return attempts.getOrDefault(chunk, List.of());
        }

        @Override
        public void admit(String flow, String instance, String storeKind) {
        }

        @Override
        public int capacity() {
            return 3;
        }

        @Override
        public ChunkCall start(ChunkWork work, ChunkCallback callback) {
            attempts.computeIfAbsent(work.chunk(), c -> Collections.synchronizedList(new ArrayList<>())).add(work.attempt());
            CompletableFuture<ChunkWorker.Computation> computed = CompletableFuture.supplyAsync(() -> {
                try {
                    return worker.compute(work, flow, instance, "in-jvm");
                } catch (Exception e) {
                    throw new java.util.concurrent.CompletionException(e);
                }
            }, pool);
            computed.whenComplete((computation, error) -> {
                if (error != null) {
                    callback.failed(ChunkWorker.error(error, "in-jvm"), false);
                } else if (loseOnce.remove(work.chunk())) {
                    computation.close(); // the node is lost with the computed chunk
                    callback.failed(new ChunkError("NodeLost", "the node left", true, "in-jvm"), false);
                } else {
                    callback.computed(computation.computed());
                }
            });
            return new ChunkCall() {
                @Override
                public void upload() {
                    computed.thenAcceptAsync(computation -> {
                        try {
                            callback.uploaded(computation.upload());
                        } catch (Exception e) {
                            callback.failed(ChunkWorker.error(e, "in-jvm"), true);
                        }
                    }, pool);
                }

                @Override
                public void cancel() {
                    computed.thenAccept(ChunkWorker.Computation::close);
                }

                @Override
                public void interrupt(String reason) {
                    cancel();
                }
            };
        }
    }
}
