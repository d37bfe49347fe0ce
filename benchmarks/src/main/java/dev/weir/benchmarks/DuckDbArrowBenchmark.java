package dev.weir.benchmarks;

import dev.weir.engine.data.ArrowTable;
import dev.weir.engine.store.ReadOptions;
import dev.weir.engine.store.StoreSettings;
import dev.weir.engine.store.TableLocation;
import dev.weir.engine.store.TableSpec;
import dev.weir.engine.store.TableStore;
import dev.weir.engine.store.TableStoreFactory;
import dev.weir.testkit.FlowTestKit;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.DriverManager;
import java.sql.Statement;
import java.util.Locale;
import java.util.ServiceLoader;
import org.apache.arrow.c.ArrowArrayStream;
import org.apache.arrow.c.Data;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.ipc.ArrowReader;
import org.duckdb.DuckDBConnection;
import org.duckdb.DuckDBResultSet;

/**
 * Arrow in and out of DuckDB: Weir's DuckDB table store against DuckDB's own Arrow paths, on the same
 * rows ({@link SyntheticRows}: BIGINT, INTEGER, DOUBLE, VARCHAR) held in memory as Arrow.
 * <ul>
 *   <li><b>write</b>: the store's {@code writeArrow} of the table into a table of its stage, against a
 *       plain DuckDB JDBC connection that registers the same batches as an Arrow C stream
 *       ({@code registerArrowStream}) and runs {@code CREATE TABLE t AS SELECT * FROM stream};
 *   <li><b>read</b>: the store's {@code readArrow} of the whole table, every batch loaded, against
 *       {@code SELECT * FROM t} on a plain connection exported by {@code arrowExportStream} with the same
 *       batch size.
 * </ul>
 * Each side has a database file of its own in one temporary directory, with DuckDB's default settings.
 * The sides alternate within each round (round 0 warms up and is not counted); medians and the median of
 * the per-round ratios are printed (above 1 means Weir is faster).
 *
 * <p>Usage: {@code benchmarks/run duckdb-arrow [rows [rounds]]} (default 5,000,000 rows, 5 rounds).
 */
public final class DuckDbArrowBenchmark {

    public static void main(String[] args) throws Exception {
        long rows = args.length > 0 ? Long.parseLong(args[0].replace("_", "")) : 5_000_000L;
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 5;
        Path dir = Files.createTempDirectory("weir-duckdb-arrow-bench");
        Rounds write = new Rounds(rounds);
        Rounds read = new Rounds(rounds);
        try (RootAllocator allocator = new RootAllocator();
             FlowTestKit kit = FlowTestKit.create(dir);
             ArrowTable data = SyntheticRows.table(allocator, 0, rows, ReadOptions.DEFAULT_BATCH_ROWS);
             DuckDBConnection plain = (DuckDBConnection) DriverManager.getConnection(
                     "jdbc:duckdb:" + dir.resolve("native.duckdb"))) {
            StoreSettings settings = kit.instance("bench").tableStore();
            TableStore store = ServiceLoader.load(TableStoreFactory.class).stream().map(ServiceLoader.Provider::get)
                    .filter(f -> f.kind().equals("duckdb")).findFirst().orElseThrow().open(settings);
            try {
                store.init();
                store.beginStage("arrow");
                TableLocation table = new TableLocation(store.transactionSchema("arrow"), "t");
                System.out.printf(Locale.ROOT, "duckdb-arrow: %,d rows (%,d MiB of Arrow), %d rounds after a warm-up%n",
                        rows, data.batches().stream().mapToLong(b -> b.getFieldVectors().stream()
                                .mapToLong(v -> v.getBufferSize()).sum()).sum() >> 20, rounds);
                for (int round = -1; round < rounds; round++) {
                    boolean nativeFirst = Rounds.referenceFirst(Math.max(0, round));
                    double[] w = new double[2];
                    double[] n = new double[2];
                    for (int side = 0; side < 2; side++) {
                        if ((side == 0) == nativeFirst) {
                            n[0] = nativeWrite(plain, data, allocator, rows);
                            n[1] = nativeRead(plain, allocator, rows);
                        } else {
                            w[0] = weirWrite(store, table, data, allocator, rows);
                            w[1] = weirRead(store, table, allocator, rows);
                        }
                    }
                    if (round >= 0) {
                        write.weir(round, w[0]);
                        write.reference(round, n[0]);
                        read.weir(round, w[1]);
                        read.reference(round, n[1]);
                    }
                    System.out.printf(Locale.ROOT, "  round %s  write: Weir %6.2f s, DuckDB CTAS from Arrow stream %6.2f s"
                                    + " (%.2fx)   read: Weir %6.2f s, arrowExportStream %6.2f s (%.2fx)%n",
                            round < 0 ? "warm-up" : String.valueOf(round + 1), w[0], n[0], n[0] / w[0], w[1], n[1],
                            n[1] / w[1]);
                }
                store.abortStage("arrow");
            } finally {
                store.close();
            }
        } finally {
            try (var paths = Files.walk(dir)) {
                for (Path p : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(p);
                }
            }
        }
        System.out.printf(Locale.ROOT, "  median write: Weir %.2f s (%,.0f rows/s), DuckDB %.2f s (%,.0f rows/s):"
                        + " Weir at %.2fx DuckDB's speed (median of per-round ratios; goal >= 0.9x: %s)%n",
                write.medianWeirSeconds(), rows / write.medianWeirSeconds(), write.medianReferenceSeconds(),
                rows / write.medianReferenceSeconds(), write.medianSpeedup(), write.medianSpeedup() >= 0.9 ? "met" : "MISSED");
        System.out.printf(Locale.ROOT, "  median read:  Weir %.2f s (%,.0f rows/s), DuckDB %.2f s (%,.0f rows/s):"
                        + " Weir at %.2fx DuckDB's speed (median of per-round ratios; goal >= 0.9x: %s)%n",
                read.medianWeirSeconds(), rows / read.medianWeirSeconds(), read.medianReferenceSeconds(),
                rows / read.medianReferenceSeconds(), read.medianSpeedup(), read.medianSpeedup() >= 0.9 ? "met" : "MISSED");
    }

    private static double weirWrite(TableStore store, TableLocation table, ArrowTable data, BufferAllocator allocator,
                                    long rows) throws Exception {
        long start = System.nanoTime();
        long written;
        try (ArrowReader reader = data.reader(allocator)) {
            written = store.writeArrow(table, reader, TableSpec.NONE);
        }
        double seconds = Rounds.seconds(start);
        check("Weir wrote", written, rows);
        return seconds;
    }

    private static double weirRead(TableStore store, TableLocation table, BufferAllocator allocator, long rows)
            throws Exception {
        long start = System.nanoTime();
        long read = 0;
        try (ArrowReader reader = store.readArrow(table, allocator, ReadOptions.ALL)) {
            read = drain(reader);
        }
        double seconds = Rounds.seconds(start);
        check("Weir read", read, rows);
        return seconds;
    }

    private static double nativeWrite(DuckDBConnection connection, ArrowTable data, BufferAllocator allocator, long rows)
            throws Exception {
        long start = System.nanoTime();
        try (ArrowReader reader = data.reader(allocator);
             ArrowArrayStream stream = ArrowArrayStream.allocateNew(allocator);
             Statement statement = connection.createStatement()) {
            Data.exportArrayStream(allocator, reader, stream);
            String name = "bench_stream_" + System.nanoTime();
            connection.registerArrowStream(name, stream);
            statement.execute("CREATE OR REPLACE TABLE t AS SELECT * FROM " + name);
        }
        double seconds = Rounds.seconds(start);
        try (Statement statement = connection.createStatement();
             var result = statement.executeQuery("SELECT count(*) FROM t")) {
            result.next();
            check("DuckDB wrote", result.getLong(1), rows);
        }
        return seconds;
    }

    private static double nativeRead(DuckDBConnection connection, BufferAllocator allocator, long rows)
            throws Exception {
        long start = System.nanoTime();
        long read;
        try (Statement statement = connection.createStatement();
             DuckDBResultSet result = statement.executeQuery("SELECT * FROM t").unwrap(DuckDBResultSet.class);
             ArrowReader reader = (ArrowReader) result.arrowExportStream(allocator, ReadOptions.DEFAULT_BATCH_ROWS)) {
            read = drain(reader);
        }
        double seconds = Rounds.seconds(start);
        check("DuckDB read", read, rows);
        return seconds;
    }

    /** Loads every batch and counts its rows. */
    private static long drain(ArrowReader reader) throws Exception {
        long rows = 0;
        VectorSchemaRoot root = reader.getVectorSchemaRoot();
        while (reader.loadNextBatch()) {
            rows += root.getRowCount();
        }
        return rows;
    }

    private static void check(String what, long got, long expected) {
        if (got != expected) {
            throw new IllegalStateException(what + " " + got + " rows, expected " + expected);
        }
    }
}
