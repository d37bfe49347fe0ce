package dev.weir.benchmarks;

import com.typesafe.config.ConfigFactory;
import dev.weir.engine.Flow;
import dev.weir.engine.Ref;
import dev.weir.engine.Sql;
import dev.weir.engine.Stage;
import dev.weir.engine.Table;
import dev.weir.engine.TaskBuilder;
import dev.weir.engine.batch.Batched;
import dev.weir.engine.config.InstanceConfig;
import dev.weir.engine.config.InstanceConfig.CacheValidation;
import dev.weir.engine.config.InstanceConfig.InlineMode;
import dev.weir.engine.config.InstanceConfig.Orchestration;
import dev.weir.engine.config.InstanceConfig.RetryPolicy;
import dev.weir.engine.data.ArrowTable;
import dev.weir.engine.store.StoreSettings;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
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
 * The Weir side of the batched benchmark: stage {@code raw} makes the synthetic order table in the
 * store (a lazy SQL task, so no row passes through Java; primary key {@code id}), and stage {@code scored} holds one task that
 * reads it as an {@link ArrowTable} and computes a per-row {@link #score}, either whole or
 * {@link Batched}.
 */
final class ScoreFlow {

    static final String RAW = "raw";
    static final String SCORED = "scored";
    static final String OUTPUT = "scores";

    /** The output's PostgreSQL definition, for the reference's table of the same shape. */
    static final String OUTPUT_DDL = "(\"id\" bigint, \"customer_id\" integer, \"score\" double precision)";

    private static final Schema OUTPUT_SCHEMA = new Schema(List.of(
            Field.nullable("id", new ArrowType.Int(64, true)),
            Field.nullable("customer_id", new ArrowType.Int(32, true)),
            Field.nullable("score", new ArrowType.FloatingPoint(FloatingPointPrecision.DOUBLE))));

    private ScoreFlow() {
    }

    /** The per-row score, the same arithmetic on every side of the benchmark. */
    static double score(double amount, int customerId) {
        return amount * (1 + customerId % 7 / 10.0) + customerId % 13 * 0.25;
    }

    /** The sum of {@link #score} over rows {@code 0} to {@code rows - 1}, computed without any store. */
    static double expectedSum(long rows) {
        double sum = 0;
        for (long row = 0; row < rows; row++) {
            sum += score(SyntheticRows.amount(row), SyntheticRows.customerId(row));
        }
        return sum;
    }

    /**
     * The benchmark flow over {@code rows} synthetic rows; the scoring task runs in chunks of
     * {@code batched}, or whole when it is null.
     */
    static Flow flow(long rows, Batched batched) {
        return Flow.define("batched_bench", f -> {
            Stage raw = f.stage(RAW);
            // Lazy: made by the server; its primary key lets a range-batched task's chunks read by index.
            Ref orders = raw.task("orders").version("1").lazy()
                    .produces(ctx -> Table.of(Sql.of(SyntheticRows.selectSql(rows)), "orders").primaryKey("id")).ref();
            Stage scored = f.stage(SCORED);
            TaskBuilder task = scored.task("score").version("1").input("orders", orders, ArrowTable.class);
            if (batched != null) {
                task = task.batched(batched);
            }
            task.produces(ctx -> Table.of(score(ctx.input("orders", ArrowTable.class), ctx.allocator()), OUTPUT));
        });
    }

    /** Scores every row of {@code orders} into a new table, batch for batch; the caller owns the result. */
    static ArrowTable score(ArrowTable orders, BufferAllocator allocator) {
        List<VectorSchemaRoot> out = new ArrayList<>(orders.batches().size());
        try {
            for (VectorSchemaRoot batch : orders.batches()) {
                int rows = batch.getRowCount();
                VectorSchemaRoot next = VectorSchemaRoot.create(OUTPUT_SCHEMA, allocator);
                out.add(next);
                BigIntVector id = (BigIntVector) next.getVector(0);
                IntVector customer = (IntVector) next.getVector(1);
                Float8Vector score = (Float8Vector) next.getVector(2);
                id.allocateNew(rows);
                customer.allocateNew(rows);
                score.allocateNew(rows);
                BigIntVector inId = (BigIntVector) batch.getVector("id");
                IntVector inCustomer = (IntVector) batch.getVector("customer_id");
                Float8Vector inAmount = (Float8Vector) batch.getVector("amount");
                for (int r = 0; r < rows; r++) {
                    int c = inCustomer.get(r);
                    id.set(r, inId.get(r));
                    customer.set(r, c);
                    score.set(r, score(inAmount.get(r), c));
                }
                next.setRowCount(rows);
            }
            return ArrowTable.of(OUTPUT_SCHEMA, out);
        } catch (RuntimeException | Error e) {
            out.forEach(VectorSchemaRoot::close);
            throw e;
        }
    }

    /** The benchmark's PostgreSQL instance under {@code prefix}: every JVM of a run uses the same one. */
    static InstanceConfig instance(PgBenchServer server, Path dir, String prefix) {
        return instance(server.settings("bench", prefix), dir, prefix);
    }

    /** The benchmark's DuckDB instance: one database file in {@code dir}, schemas under {@code prefix}. */
    static InstanceConfig duckDbInstance(Path dir, String prefix) {
        StoreSettings duckdb = new StoreSettings("bench", "bench", "duckdb", "duckdb",
                ConfigFactory.parseMap(duckDbArgs(dir, prefix), "benchmark"), dir.resolve("bench"),
                "benchmark DuckDB instance under '" + prefix + "'");
        return instance(duckdb, dir, prefix);
    }

    /** The database file and prefix, and DuckDB's {@code memory_limit} from {@code WEIR_BENCH_DUCKDB_MEMORY_LIMIT} if set. */
    private static Map<String, String> duckDbArgs(Path dir, String prefix) {
        Map<String, String> args = new java.util.HashMap<>(Map.of("path", dir.resolve("bench.duckdb").toString(),
                "schema_prefix", prefix));
        String limit = System.getenv("WEIR_BENCH_DUCKDB_MEMORY_LIMIT");
        if (limit != null && !limit.isBlank()) {
            args.put("memory_limit", limit);
        }
        return args;
    }

    private static InstanceConfig instance(StoreSettings store, Path dir, String prefix) {
        return new InstanceConfig("batched_bench", "bench", "bench", store, Map.of(store.connectionName(), store),
                dir.resolve("blobs"), dir.resolve("bench"), CacheValidation.NORMAL,
                new Orchestration(Orchestration.Engine.PARALLEL, 2), false, InlineMode.FORCE_FALSE,
                Duration.ofMinutes(10), new RetryPolicy(3, Duration.ofMillis(10), Duration.ofMillis(100)),
                ConfigFactory.empty(), false, "batched benchmark instance under '" + prefix + "'");
    }
}
