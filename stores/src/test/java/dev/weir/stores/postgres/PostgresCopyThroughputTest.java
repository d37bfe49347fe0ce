package dev.weir.stores.postgres;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.weir.engine.store.ReadOptions;
import dev.weir.engine.store.TableLocation;
import dev.weir.engine.store.TableSpec;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.Float8Vector;
import org.apache.arrow.vector.IntVector;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.ipc.ArrowReader;
import org.apache.arrow.vector.types.FloatingPointPrecision;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.Schema;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Times binary COPY and the cursor reader on (bigint, integer, double, ~12-character text) rows.
 * Runs only when {@code WEIR_PG_BENCH_ROWS} is set (e.g. 5000000); prints rows/s to the test output.
 * The side-by-side benchmark against psql lives in the benchmarks module; this is the quick check.
 */
@ExtendWith(PostgresTestServer.Required.class)
class PostgresCopyThroughputTest {

    private static final int BATCH = 65_536;

    @Test
    void binaryCopyThroughput() throws Exception {
        String rowsText = System.getenv("WEIR_PG_BENCH_ROWS");
        Assumptions.assumeTrue(rowsText != null, "set WEIR_PG_BENCH_ROWS to time binary COPY");
        long total = Long.parseLong(rowsText);
        PostgresTestServer server = PostgresTestServer.require();
        Schema schema = new Schema(List.of(Field.nullable("id", new ArrowType.Int(64, true)),
                Field.nullable("n", new ArrowType.Int(32, true)),
                Field.nullable("x", new ArrowType.FloatingPoint(FloatingPointPrecision.DOUBLE)),
                Field.nullable("s", ArrowType.Utf8.INSTANCE)));
        int batches = (int) ((total + BATCH - 1) / BATCH);
        try (BufferAllocator allocator = new RootAllocator(); PostgresTableStore store = server.open("bench")) {
            store.beginStage("bench");
            TableLocation table = new TableLocation(store.transactionSchema("bench"), "rows");
            TestBatches.Filler filler = (root, batch) -> {
                BigIntVector id = (BigIntVector) root.getVector(0);
                IntVector n = (IntVector) root.getVector(1);
                Float8Vector x = (Float8Vector) root.getVector(2);
                VarCharVector s = (VarCharVector) root.getVector(3);
                int rows = (int) Math.min(BATCH, total - (long) batch * BATCH);
                for (int r = 0; r < rows; r++) {
                    long value = (long) batch * BATCH + r;
                    id.setSafe(r, value);
                    n.setSafe(r, (int) (value % 1_000_003));
                    x.setSafe(r, value * 0.5);
                    s.setSafe(r, ("name-" + (1_000_000 + value % 9_000_000)).getBytes(StandardCharsets.UTF_8));
                }
                root.setRowCount(rows);
            };
            long generateStart = System.nanoTime();
            try (ArrowReader dry = new TestBatches(allocator, schema, batches, filler)) {
                while (dry.loadNextBatch()) {
                    // only making the Arrow data, to tell its cost from COPY's
                }
            }
            System.out.printf("making the Arrow batches alone: %.2f s%n", (System.nanoTime() - generateStart) / 1e9);
            try (ArrowReader dry = new TestBatches(allocator, schema, batches, filler)) {
                DiscardingCopyIn sink = new DiscardingCopyIn();
                long encodeStart = System.nanoTime();
                PgCopyWriter.copy(sink, schema.getFields().size(), dry);
                System.out.printf("making and encoding without a server: %.2f s, %,d MiB of PGCOPY%n",
                        (System.nanoTime() - encodeStart) / 1e9, sink.bytes >> 20);
            }
            try (ArrowReader data = new TestBatches(allocator, schema, batches, filler)) {
                long start = System.nanoTime();
                long written = store.writeArrow(table, data, TableSpec.NONE);
                double seconds = (System.nanoTime() - start) / 1e9;
                assertEquals(total, written);
                System.out.printf("binary COPY: %,d rows in %.2f s = %,.0f rows/s%n", written, seconds, written / seconds);
            }
            long start = System.nanoTime();
            long read = 0;
            try (ArrowReader reader = store.readArrow(table, allocator, ReadOptions.ALL)) {
                while (reader.loadNextBatch()) {
                    read += reader.getVectorSchemaRoot().getRowCount();
                }
            }
            double seconds = (System.nanoTime() - start) / 1e9;
            assertEquals(total, read);
            System.out.printf("cursor read: %,d rows in %.2f s = %,.0f rows/s%n", read, seconds, read / seconds);
            store.abortStage("bench");
        } finally {
            server.dropAll();
        }
    }

    /** A COPY that goes nowhere: times the encoder alone. */
    private static final class DiscardingCopyIn implements org.postgresql.copy.CopyIn {
        long bytes;

        @Override
        public void writeToCopy(byte[] buf, int off, int siz) {
            bytes += siz;
        }

        @Override
        public void writeToCopy(org.postgresql.util.ByteStreamWriter from) {
            throw new UnsupportedOperationException();
        }

        @Override
        public void flushCopy() {
        }

        @Override
        public long endCopy() {
            return 0;
        }

        @Override
        public int getFieldCount() {
            return 0;
        }

        @Override
        public int getFormat() {
            return 1;
        }

        @Override
        public int getFieldFormat(int field) {
            return 1;
        }

        @Override
        public boolean isActive() {
            return true;
        }

        @Override
        public void cancelCopy() {
        }

        @Override
        public long getHandledRowCount() {
            return 0;
        }
    }
}
