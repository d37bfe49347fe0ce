package dev.weir.benchmarks;

import dev.weir.engine.data.ArrowTable;
import dev.weir.engine.store.ReadOptions;
import dev.weir.engine.store.TableLocation;
import dev.weir.engine.store.TableSpec;
import dev.weir.engine.store.TableStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.Locale;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.ipc.ArrowReader;

/**
 * Loading one table into PostgreSQL: Weir materializing an Arrow table ({@code writeArrow}, binary
 * COPY) against {@code psql \copy ... CSV} of the same rows from a CSV file, both into a logged table
 * of the same definition on the same server. The Arrow batches and the CSV file are made before any
 * timing; the psql side times only the {@code \copy} (its table is created untimed), while Weir's
 * time includes the {@code DROP/CREATE TABLE} that {@code writeArrow} does in the same transaction.
 * The sides alternate for several rounds; the report gives rows/s per side and the median ratio.
 *
 * <p>It then times dematerialization ({@code readArrow}, PostgreSQL to Arrow batches of 65,536 rows)
 * against {@code psql \copy (table) TO '/dev/null' CSV}, also alternating.
 *
 * <p>Usage: {@code benchmarks/run pg-bulk-load [rows [rounds]]} (default 5,000,000 rows, 3 rounds), with
 * the PG* variables naming the server.
 */
public final class PgBulkLoadBenchmark {

    private static final int BATCH_ROWS = 65_536;

    public static void main(String[] args) throws Exception {
        long rows = args.length > 0 ? Long.parseLong(args[0].replace("_", "")) : 5_000_000L;
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 3;
        Path dir = Files.createTempDirectory("weir-pg-bulk");
        Path csv = dir.resolve("rows.csv");
        PgBenchServer server = new PgBenchServer(dir);
        String prefix = server.newPrefix("bulk");
        try (BufferAllocator allocator = new RootAllocator();
             TableStore store = server.open(server.settings("bench", prefix))) {
            System.out.printf(Locale.ROOT, "pg-bulk-load: %,d rows (BIGINT, INT, DOUBLE, 12-char VARCHAR), %d rounds;"
                    + " server %s%n", rows, rounds, server.describe());
            long start = System.nanoTime();
            SyntheticRows.writeCsv(csv, rows);
            System.out.printf(Locale.ROOT, "  CSV file written beforehand:   %6.2f s (%,d MiB)%n",
                    Rounds.seconds(start), Files.size(csv) >> 20);
            start = System.nanoTime();
            try (ArrowTable table = SyntheticRows.table(allocator, 0, rows, BATCH_ROWS)) {
                System.out.printf(Locale.ROOT, "  Arrow batches built beforehand: %6.2f s (%d batches, %,d MiB)%n",
                        Rounds.seconds(start), table.batches().size(), allocator.getAllocatedMemory() >> 20);
                String schema = prefix + "load";
                try (Connection c = server.connection(); Statement s = c.createStatement()) {
                    s.execute("CREATE SCHEMA \"" + schema + "\"");
                }
                TableLocation weirTable = new TableLocation(schema, "weir_rows");
                TableLocation psqlTable = new TableLocation(schema, "psql_rows");
                boolean checkpoints = server.checkpoint();
                if (!checkpoints) {
                    System.out.println("  (this user may not CHECKPOINT: loads run without a checkpoint before each)");
                }
                Rounds load = new Rounds(rounds);
                for (int round = 0; round < rounds; round++) {
                    for (int side = 0; side < 2; side++) {
                        if ((side == 0) != Rounds.referenceFirst(round)) {
                            load.weir(round, weirLoad(server, store, table, weirTable, allocator, rows, checkpoints));
                        } else {
                            load.reference(round, psqlLoad(server, store, psqlTable, csv, rows, checkpoints));
                        }
                    }
                    System.out.printf(Locale.ROOT, "  round %d load: Weir %6.2f s (%,10.0f rows/s)   psql %6.2f s"
                                    + " (%,10.0f rows/s)   Weir/psql %.2fx%n", round + 1,
                            load.weirSeconds(round), rows / load.weirSeconds(round),
                            load.referenceSeconds(round), rows / load.referenceSeconds(round),
                            load.referenceSeconds(round) / load.weirSeconds(round));
                }
                System.out.printf(Locale.ROOT, "  table sizes: Weir %,d MiB, psql %,d MiB%n",
                        tableBytes(server, weirTable) >> 20, tableBytes(server, psqlTable) >> 20);
                Rounds read = new Rounds(rounds);
                for (int round = 0; round < rounds; round++) {
                    for (int side = 0; side < 2; side++) {
                        if ((side == 0) != Rounds.referenceFirst(round)) {
                            read.weir(round, weirRead(store, weirTable, allocator, rows));
                        } else {
                            read.reference(round, psqlRead(server, store, weirTable, rows));
                        }
                    }
                    System.out.printf(Locale.ROOT, "  round %d read: Weir %6.2f s (%,10.0f rows/s)   psql %6.2f s"
                                    + " (%,10.0f rows/s)   Weir/psql %.2fx%n", round + 1,
                            read.weirSeconds(round), rows / read.weirSeconds(round),
                            read.referenceSeconds(round), rows / read.referenceSeconds(round),
                            read.referenceSeconds(round) / read.weirSeconds(round));
                }
                System.out.printf(Locale.ROOT, "  median load: Weir writeArrow (binary COPY) %,.0f rows/s, psql \\copy CSV"
                                + " %,.0f rows/s, ratio Weir/psql %.2fx (goal >= 1.5x: %s)%n",
                        rows / load.medianWeirSeconds(), rows / load.medianReferenceSeconds(), load.medianSpeedup(),
                        load.medianSpeedup() >= 1.5 ? "met" : "MISSED");
                System.out.printf(Locale.ROOT, "  median read: Weir readArrow %,.0f rows/s, psql \\copy TO /dev/null CSV"
                                + " %,.0f rows/s, ratio Weir/psql %.2fx%n",
                        rows / read.medianWeirSeconds(), rows / read.medianReferenceSeconds(), read.medianSpeedup());
            }
        } finally {
            server.dropPrefixes();
            Files.deleteIfExists(csv);
            Files.deleteIfExists(dir);
        }
    }

    private static double weirLoad(PgBenchServer server, TableStore store, ArrowTable table, TableLocation target,
                                   BufferAllocator allocator, long rows, boolean checkpoint) throws Exception {
        store.executeScript("DROP TABLE IF EXISTS " + store.sqlName(target));
        if (checkpoint) {
            server.checkpoint();
        }
        long start = System.nanoTime();
        long written;
        try (ArrowReader reader = table.reader(allocator)) {
            written = store.writeArrow(target, reader, TableSpec.NONE);
        }
        double seconds = Rounds.seconds(start);
        check("Weir writeArrow", rows, written);
        return seconds;
    }

    private static double psqlLoad(PgBenchServer server, TableStore store, TableLocation target, Path csv, long rows,
                                   boolean checkpoint) throws Exception {
        String name = store.sqlName(target);
        store.executeScript("DROP TABLE IF EXISTS " + name + "; CREATE TABLE " + name + " " + SyntheticRows.COLUMNS_DDL);
        if (checkpoint) {
            server.checkpoint();
        }
        long start = System.nanoTime();
        server.psql("\\copy " + name + " FROM '" + csv + "' CSV");
        double seconds = Rounds.seconds(start);
        check("psql \\copy", rows, store.rowCount(target));
        return seconds;
    }

    private static double weirRead(TableStore store, TableLocation source, BufferAllocator allocator, long rows)
            throws Exception {
        long start = System.nanoTime();
        long read = 0;
        try (ArrowReader reader = store.readArrow(source, allocator, ReadOptions.ALL)) {
            while (reader.loadNextBatch()) {
                read += reader.getVectorSchemaRoot().getRowCount();
            }
        }
        double seconds = Rounds.seconds(start);
        check("Weir readArrow", rows, read);
        return seconds;
    }

    private static double psqlRead(PgBenchServer server, TableStore store, TableLocation source, long rows)
            throws Exception {
        long start = System.nanoTime();
        String output = server.psql("\\copy " + store.sqlName(source) + " TO '/dev/null' CSV");
        double seconds = Rounds.seconds(start);
        if (!output.isBlank() && !output.strip().equals("COPY " + rows)) {
            throw new IllegalStateException("psql \\copy TO: expected COPY " + rows + ", got " + output.strip());
        }
        return seconds;
    }

    private static long tableBytes(PgBenchServer server, TableLocation table) throws Exception {
        try (Connection c = server.connection(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT pg_total_relation_size('\"" + table.schema() + "\".\""
                     + table.table() + "\"')")) {
            rs.next();
            return rs.getLong(1);
        }
    }

    private static void check(String what, long expected, long actual) {
        if (expected != actual) {
            throw new IllegalStateException(what + ": expected " + expected + " rows, got " + actual);
        }
    }
}
