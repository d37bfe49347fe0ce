package dev.weir.cluster;

import dev.weir.engine.Flow;
import dev.weir.engine.Ref;
import dev.weir.engine.Stage;
import dev.weir.engine.Table;
import dev.weir.engine.batch.Batched;
import dev.weir.engine.data.ArrowTable;
import java.util.List;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.Float8Vector;
import org.apache.arrow.vector.IntVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.types.FloatingPointPrecision;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.Schema;

/** The tests' flow: {@code orders} generated in one task, scored by a batched task in 8 chunks. */
final class ScoringFlow {

    private ScoringFlow() {
    }

    /** What a chunk does before it scores: wait at a test's {@link ChunkGate}, so that the test can act mid-task. */
    @FunctionalInterface
    interface BeforeScoring {
        void run() throws Exception;
    }

    /** The flow whose chunks score at once. */
    static Flow create(long orders) {
        return create(orders, () -> { });
    }

    /** @param before what each chunk does before it scores */
    static Flow create(long orders, BeforeScoring before) {
        return create(INLINE_FREE, orders, before);
    }

    /** The flow's name; the flow whose orders are inlined (held in memory, never stored) is {@link #INLINED}. */
    static final String INLINE_FREE = "cluster-scoring";
    static final String INLINED = "cluster-scoring-inline";

    /** The flow whose orders are inlined, and whose chunks score at once. */
    static Flow inlined(long orders) {
        return inlined(orders, () -> { });
    }

    /** The flow whose orders are inlined; {@code before}: what each chunk does before it scores. */
    static Flow inlined(long orders, BeforeScoring before) {
        return create(INLINED, orders, before);
    }

    private static Flow create(String name, long orders, BeforeScoring before) {
        boolean inline = name.equals(INLINED);
        return Flow.define(name, f -> {
            Stage raw = f.stage("raw");
            Ref ordersRef = raw.task("orders").version("1")
                    .produces(ctx -> {
                        Table table = Table.of(generate(orders, ctx.allocator()), "orders");
                        return inline ? table.inline() : table;
                    }).ref();
            Stage scored = f.stage("scored");
            scored.task("score").version("1").input("orders", ordersRef, ArrowTable.class)
                    .constant("weight", 3)
                    .batched(Batched.hashOf("customer_id", 8).computeParallelism(1).uploadParallelism(2))
                    .produces(ctx -> {
                        before.run();
                        return Table.of(score(ctx.input("orders", ArrowTable.class), ctx.input("weight", Integer.class),
                                ctx.allocator()), "scores");
                    });
        });
    }

    static ArrowTable generate(long n, BufferAllocator allocator) {
        Schema schema = new Schema(List.of(Field.nullable("order_id", new ArrowType.Int(64, true)),
                Field.nullable("customer_id", new ArrowType.Int(32, true)),
                Field.nullable("amount", new ArrowType.FloatingPoint(FloatingPointPrecision.DOUBLE))));
        VectorSchemaRoot root = VectorSchemaRoot.create(schema, allocator);
        root.allocateNew();
        for (int i = 0; i < n; i++) {
            ((BigIntVector) root.getVector(0)).setSafe(i, i);
            ((IntVector) root.getVector(1)).setSafe(i, i % 1_009);
            ((Float8Vector) root.getVector(2)).setSafe(i, (i % 1000) / 10.0);
        }
        root.setRowCount((int) n);
        return ArrowTable.of(root);
    }

    static ArrowTable score(ArrowTable chunk, int weight, BufferAllocator allocator) {
        Schema schema = new Schema(List.of(Field.nullable("order_id", new ArrowType.Int(64, true)),
                Field.nullable("customer_id", new ArrowType.Int(32, true)),
                Field.nullable("score", new ArrowType.FloatingPoint(FloatingPointPrecision.DOUBLE))));
        List<VectorSchemaRoot> out = new java.util.ArrayList<>();
        for (VectorSchemaRoot batch : chunk.batches()) {
            VectorSchemaRoot next = VectorSchemaRoot.create(schema, allocator);
            next.allocateNew();
            BigIntVector id = (BigIntVector) batch.getVector("order_id");
            IntVector customer = (IntVector) batch.getVector("customer_id");
            Float8Vector amount = (Float8Vector) batch.getVector("amount");
            for (int i = 0; i < batch.getRowCount(); i++) {
                ((BigIntVector) next.getVector(0)).setSafe(i, id.get(i));
                ((IntVector) next.getVector(1)).setSafe(i, customer.get(i));
                ((Float8Vector) next.getVector(2)).setSafe(i, amount.get(i) * weight * (1 + customer.get(i) % 7 / 10.0));
            }
            next.setRowCount(batch.getRowCount());
            out.add(next);
        }
        return ArrowTable.of(schema, out);
    }
}
