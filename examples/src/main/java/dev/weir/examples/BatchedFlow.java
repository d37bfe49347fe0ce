package dev.weir.examples;

import dev.weir.engine.Flow;
import dev.weir.engine.NamedFlow;
import dev.weir.engine.Ref;
import dev.weir.engine.Result;
import dev.weir.engine.Stage;
import dev.weir.engine.Table;
import dev.weir.engine.batch.Batched;
import dev.weir.engine.config.InstanceConfig;
import dev.weir.engine.config.WeirConfig;
import dev.weir.engine.data.ArrowTable;
import java.io.PrintStream;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.Float8Vector;
import org.apache.arrow.vector.IntVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.types.FloatingPointPrecision;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * A batched task (pipedag #205): {@code orders} are scored per row in 16 chunks split by a hash of
 * {@code customer_id}. Each chunk reads only its customers' rows from the store (the predicate is
 * pushed into the reading query), computes, and appends its rows to the output table in the stage's
 * transaction; chunks run in parallel with a bound on chunks in memory. {@code attrs.orders} sets the number of orders (default 500,000).
 */
public final class BatchedFlow implements NamedFlow {

    private Ref scores;
    private long orders;

    @Override
    public String name() {
        return "batched";
    }

    @Override
    public String description() {
        return "a task split into 16 chunks by hash(customer_id), computed and uploaded in parallel";
    }

    @Override
    public Flow create(WeirConfig config, InstanceConfig instance) {
        orders = instance.attrs().hasPath("orders") ? instance.attrs().getLong("orders") : 500_000;
        long n = orders;
        return Flow.define("batched", f -> {
            Stage raw = f.stage("raw");
            Ref ordersRef = raw.task("orders").version("1")
                    .produces(ctx -> Table.of(generate(n, ctx.allocator()), "orders")).ref();
            Stage scored = f.stage("scored");
            scores = scored.task("score").version("1").input("orders", ordersRef, ArrowTable.class)
                    .batched(Batched.hashOf("customer_id", 16).computeParallelism(2).uploadParallelism(2))
                    .produces(ctx -> Table.of(score(ctx.input("orders", ArrowTable.class), ctx.allocator()), "scores"))
                    .ref();
        });
    }

    static ArrowTable generate(long n, BufferAllocator allocator) {
        Schema schema = new Schema(java.util.List.of(Field.nullable("order_id", new ArrowType.Int(64, true)),
                Field.nullable("customer_id", new ArrowType.Int(32, true)),
                Field.nullable("amount", new ArrowType.FloatingPoint(FloatingPointPrecision.DOUBLE))));
        VectorSchemaRoot root = VectorSchemaRoot.create(schema, allocator);
        root.allocateNew();
        BigIntVector id = (BigIntVector) root.getVector(0);
        IntVector customer = (IntVector) root.getVector(1);
        Float8Vector amount = (Float8Vector) root.getVector(2);
        for (int i = 0; i < n; i++) {
            id.setSafe(i, i);
            customer.setSafe(i, (int) (i % 10_007));
            amount.setSafe(i, (i % 1000) / 10.0);
        }
        root.setRowCount((int) n);
        return ArrowTable.of(root);
    }

    /** A per-row score: the amount, weighted by the customer's bucket. */
    static ArrowTable score(ArrowTable chunk, BufferAllocator allocator) {
        Schema schema = new Schema(java.util.List.of(Field.nullable("order_id", new ArrowType.Int(64, true)),
                Field.nullable("customer_id", new ArrowType.Int(32, true)),
                Field.nullable("score", new ArrowType.FloatingPoint(FloatingPointPrecision.DOUBLE))));
        java.util.List<VectorSchemaRoot> out = new java.util.ArrayList<>();
        for (VectorSchemaRoot batch : chunk.batches()) {
            VectorSchemaRoot next = VectorSchemaRoot.create(schema, allocator);
            next.allocateNew();
            BigIntVector id = (BigIntVector) batch.getVector("order_id");
            IntVector customer = (IntVector) batch.getVector("customer_id");
            Float8Vector amount = (Float8Vector) batch.getVector("amount");
            for (int i = 0; i < batch.getRowCount(); i++) {
                ((BigIntVector) next.getVector(0)).setSafe(i, id.get(i));
                ((IntVector) next.getVector(1)).setSafe(i, customer.get(i));
                ((Float8Vector) next.getVector(2)).setSafe(i, amount.get(i) * (1 + customer.get(i) % 7 / 10.0));
            }
            next.setRowCount(batch.getRowCount());
            out.add(next);
        }
        return ArrowTable.of(schema, out);
    }

    @Override
    public void show(Result result, InstanceConfig instance, PrintStream out) {
        long count = result.tasks().stream().filter(t -> t.task().equals("score")).findFirst().orElseThrow().rows();
        if (count != orders) {
            throw new IllegalStateException("scores should have " + orders + " rows, has " + count);
        }
        out.println("scored.scores: " + count + " rows, assembled from 16 chunks in " + result.get(scores, String.class));
    }
}
