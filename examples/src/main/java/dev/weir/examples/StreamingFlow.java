package dev.weir.examples;

import dev.weir.engine.Flow;
import dev.weir.engine.NamedFlow;
import dev.weir.engine.Ref;
import dev.weir.engine.Result;
import dev.weir.engine.TaskContext;
import dev.weir.engine.config.InstanceConfig;
import dev.weir.engine.config.WeirConfig;
import dev.weir.engine.data.ArrowTable;
import dev.weir.engine.stream.BatchFunction;
import dev.weir.engine.stream.BatchSource;
import dev.weir.engine.stream.StreamExecutor;
import dev.weir.engine.stream.StreamGraph;
import dev.weir.engine.stream.StreamSummary;
import dev.weir.engine.stream.TaskStats;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.DoublePredicate;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.Float8Vector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;

/**
 * A streaming graph inside one cached task. Synthetic order batches flow through {@code parse} (drops
 * refunds), then branch into {@code large} and {@code small} orders; both terminals are written as
 * Parquet into the task's directory ({@code TaskContext.directory}), one directory per task and one file
 * per batch, published with the stage's commit under the instance's blob store. The task returns
 * batches and rows per terminal, so a second run is a cache hit.
 */
public final class StreamingFlow implements NamedFlow {

    private static final int BATCHES = 40;
    private static final int ROWS = 5_000;
    private static final String PARQUET = "parquet";

    private Ref counts;

    @Override
    public String name() {
        return "streaming";
    }

    @Override
    public String description() {
        return "a streaming graph of batch tasks (parse, then large/small branches) written to Parquet by task";
    }

    @Override
    public Flow create(WeirConfig config, InstanceConfig instance) {
        return Flow.define("streaming", f -> counts = f.stage("stream").task("orders_to_parquet").version("1")
                .produces(ctx -> run(ctx, ctx.directory(PARQUET))).ref());
    }

    /** The graph's name, by which a cluster's worker nodes build it from this class ({@link #streamGraph}). */
    private static final String GRAPH = "orders";

    /** parse (drops refunds), then the large and small orders. */
    private static StreamGraph graph() {
        return StreamGraph.builder()
                .task("parse", keep(amount -> amount >= 0)).source("parse")
                .task("large", keep(amount -> amount >= 500), "parse")
                .task("small", keep(amount -> amount < 500), "parse")
                .set("parse", "max-rows", 2_000)
                .set("large", "parallelism", 2)
                .maxBatches(BATCHES)
                .build();
    }

    @Override
    public java.util.Optional<StreamGraph> streamGraph(String graph) {
        return GRAPH.equals(graph) ? java.util.Optional.of(graph()) : java.util.Optional.empty();
    }

    /**
     * Runs the graph on an actor system of its own (a task does not see the engine's); on a cluster
     * ({@code weir run --cluster}) its calls run on the worker nodes.
     */
    private static Map<String, Object> run(TaskContext ctx, Path out) {
        StreamGraph graph = graph();
        ActorSystem<Void> system = ActorSystem.create(Behaviors.empty(), "weir-streaming-example");
        try {
            StreamSummary summary = new StreamExecutor(system, ctx.allocator(), ctx.streamPlacement(GRAPH, graph))
                    .writeTo(graph, orders(), out, true);
            Map<String, Object> value = new LinkedHashMap<>();
            value.put("source_batches", summary.sourceBatches());
            for (String terminal : new String[] {"large", "small"}) {
                TaskStats stats = summary.task(terminal);
                value.put(terminal, Map.of("batches", stats.batches(), "rows", stats.rowsOut()));
            }
            return value;
        } finally {
            system.terminate();
            system.getWhenTerminated().toCompletableFuture().join();
        }
    }

    /** Endless synthetic orders: batch b holds order ids b*ROWS.., amounts from -50 to 949.99. */
    private static BatchSource orders() {
        return allocator -> new Iterator<>() {
            private long batch;

            @Override
            public boolean hasNext() {
                return true;
            }

            @Override
            public ArrowTable next() {
                long first = batch++ * ROWS;
                return table(allocator, ROWS, i -> first + i, i -> ((first + i) * 7919 % 100_000) / 100.0 - 50);
            }
        };
    }

    /** A task keeping the rows whose amount passes {@code test}. */
    private static BatchFunction keep(DoublePredicate test) {
        return in -> {
            VectorSchemaRoot root = in.table().batches().get(0);
            BigIntVector ids = (BigIntVector) root.getVector("order_id");
            Float8Vector amounts = (Float8Vector) root.getVector("amount");
            int[] kept = new int[root.getRowCount()];
            int n = 0;
            for (int i = 0; i < root.getRowCount(); i++) {
                if (test.test(amounts.get(i))) {
                    kept[n++] = i;
                }
            }
            return table(in.allocator(), n, i -> ids.get(kept[i]), i -> amounts.get(kept[i]));
        };
    }

    private static ArrowTable table(BufferAllocator allocator, int rows, java.util.function.IntToLongFunction id,
                                    java.util.function.IntToDoubleFunction amount) {
        BigIntVector ids = new BigIntVector("order_id", allocator);
        Float8Vector amounts = new Float8Vector("amount", allocator);
        ids.allocateNew(rows);
        amounts.allocateNew(rows);
        for (int i = 0; i < rows; i++) {
            ids.set(i, id.applyAsLong(i));
            amounts.set(i, amount.applyAsDouble(i));
        }
        ids.setValueCount(rows);
        amounts.setValueCount(rows);
        return ArrowTable.of(VectorSchemaRoot.of(ids, amounts));
    }

    @Override
    @SuppressWarnings("unchecked")
    public void show(Result result, InstanceConfig instance, PrintStream out) {
        Map<String, Object> value = result.get(counts, Map.class);
        if (((Number) value.get("source_batches")).intValue() != BATCHES) {
            throw new IllegalStateException("the streaming run should have read " + BATCHES + " batches: " + value);
        }
        out.println("stream.orders_to_parquet: " + value + ", Parquet in "
                + new dev.weir.engine.blob.FileBlobStore(instance.blobStoreDir()).committedPath("stream", PARQUET));
    }
}
