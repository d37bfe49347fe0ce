package dev.weir.examples.readme;

// The Java examples of README.md, verbatim, where the compiler sees them: ReadmeExamplesTest fails when a
// ```java block of the README is not found here (or in MyFlows.java, SalesFlowTest.java), line by line.

import dev.weir.engine.Flow;
import dev.weir.engine.FlowProvider;
import dev.weir.engine.NamedFlow;
import dev.weir.engine.Ref;
import dev.weir.engine.Result;
import dev.weir.engine.RunOptions;
import dev.weir.engine.Stage;
import dev.weir.engine.Table;
import dev.weir.engine.TaskId;
import dev.weir.engine.Weir;
import dev.weir.engine.batch.Batched;
import dev.weir.engine.config.InstanceConfig;
import dev.weir.engine.config.WeirConfig;
import dev.weir.engine.data.ArrowTable;
import dev.weir.engine.data.Rows;
import dev.weir.engine.stream.StreamExecutor;
import dev.weir.engine.stream.StreamGraph;
import dev.weir.engine.stream.StreamResults;
import dev.weir.testkit.FlowRunRecord;
import dev.weir.testkit.FlowTestKit;
import dev.weir.testkit.WeirTest;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.pekko.actor.typed.ActorSystem;
import dev.weir.engine.stream.BatchFunction;
import dev.weir.engine.stream.BatchSource;

/** Compiled, not run: the README's examples with just enough around them to compile. */
@SuppressWarnings("unused")
final class ReadmeExamples {

    // What the examples refer to without defining it.
    private Path ordersCsv;
    private ActorSystem<?> system;
    private BufferAllocator allocator;
    private BatchFunction parse;
    private BatchFunction large;
    private BatchFunction small;
    private BatchSource source;
    private Path dir;

    static Rows readOrders(Path csv) {
        return Rows.builder("order_id", "amount").build();
    }

    static Rows score(Rows orders) {
        return orders;
    }

    static Rows score(ArrowTable orders) {
        return Rows.fromArrow(orders);
    }

    static void use(long batchId, String task, ArrowTable table) {
    }

    // README "A flow"
    void aFlow() {
        Flow flow = Flow.define("sales", f -> {
            Stage raw = f.stage("raw");
            Ref orders = raw.task("load_orders")
                .version("1.0")                                          // bump when the code changes its output
                .cache(ctx -> Files.getLastModifiedTime(ordersCsv).toMillis())   // fresh input invalidates the cache
                .produces(ctx -> Table.of(readOrders(ordersCsv), "orders").primaryKey("order_id"))
                .ref();

            Stage clean = f.stage("clean");
            Ref valid = clean.task("valid_orders")                       // lazy: runs inside the database,
                .sql("SELECT * FROM {o} WHERE amount > 0", Map.of("o", orders))  // cached by its rendered query
                .ref();
            clean.task("score").version("2.1")
                .input("orders", valid, Rows.class)                      // dematerialized as Rows (or ArrowTable, ArrowReader); read as declared
                .produces(ctx -> Table.of(score(ctx.input("orders", Rows.class)), "scored"));
        });

        WeirConfig config = WeirConfig.load(Path.of("weir.yaml"));
        try (Weir weir = Weir.start()) {
            Result result = weir.run(flow, config.instance("mini")).toCompletableFuture().join();
            Rows scored = result.get(Ref.of("clean", "score"), Rows.class);   // a single output; new Ref(stage, task, output) otherwise
        }
    }

    // README "Batched tasks"
    void batched(Stage stage, Ref orders) {
        stage.task("score").input("orders", orders, ArrowTable.class)
            .batched(Batched.hashOf("customer_id", 50)          // or Batched.rangeOf("order_id", 20)
                .computeParallelism(4)                          // chunks computing at once
                .uploadParallelism(8)                           // chunk uploads in flight
                .maxBufferedChunks(8))                          // computed chunks waiting: back-pressure
            .produces(ctx -> Table.of(score(ctx.input("orders", ArrowTable.class))));
    }

    // README "Streaming graphs"
    void streaming() {
        StreamGraph graph = StreamGraph.builder()
            .task("parse", parse).source("parse")
            .task("large", large, "parse").task("small", small, "parse")
            .set("parse", "max-rows", 10_000)                   // split batches before this task
            .set("large", "parallelism", 2)
            .maxBatches(1_000)
            .build();                                           // validates: cycles, missing inputs, unknown keys
        try (StreamResults results = new StreamExecutor(system, allocator).run(graph, source)) {
            results.stream().forEach(r -> { use(r.batchId(), r.task(), r.table()); r.close(); });
        }
        new StreamExecutor(system, allocator).writeTo(graph, source, dir, true);   // Parquet, a directory per task
    }
}
