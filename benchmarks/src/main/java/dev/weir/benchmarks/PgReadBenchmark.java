package dev.weir.benchmarks;

import com.typesafe.config.ConfigFactory;
import dev.weir.engine.store.ReadOptions;
import dev.weir.engine.store.StoreSettings;
import dev.weir.engine.store.TableLocation;
import dev.weir.engine.store.TableStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.Arrays;
import java.util.Locale;
import java.util.Map;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.ipc.ArrowReader;

/**
 * Dematerialization alone: one stored table of the bulk-load layout (BIGINT, INT, DOUBLE, 12-char VARCHAR),
 * made once by SQL and vacuumed (so that no side pays for hint bits), read into Arrow batches of 65,536 rows
 * by {@code readArrow} on one connection ({@code read_connections = 1}), by {@code readArrow} with the
 * store's default (page ranges on several connections for a large table), and by
 * {@code psql \copy t TO '/dev/null' CSV}. The three sides take turns, a different one first each round;
 * the report gives each side's median and the ratios to psql's median.
 *
 * <p>Usage: {@code benchmarks/run pg-read [rows [rounds [connections]]]} (default 5,000,000 rows, 5 rounds,
 * the store's default connections), with the PG* variables naming the server.
 */
public final class PgReadBenchmark {

    public static void main(String[] args) throws Exception {
        long rows = args.length > 0 ? Long.parseLong(args[0].replace("_", "")) : 5_000_000L;
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 5;
        Integer connections = args.length > 2 ? Integer.valueOf(args[2]) : null;
        Path dir = Files.createTempDirectory("weir-pg-read");
        PgBenchServer server = new PgBenchServer(dir);
        String prefix = server.newPrefix("read");
        String schema = prefix + "read";
        TableLocation table = new TableLocation(schema, "rows");
        StoreSettings ranged = server.settings("bench", prefix);
        if (connections != null) {
            ranged = withArgs(ranged, Map.of("schema_prefix", prefix, "read_connections", connections));
        }
        StoreSettings single = withArgs(ranged, Map.of("schema_prefix", prefix, "read_connections", 1));
        try (BufferAllocator allocator = new RootAllocator();
             TableStore one = server.open(single);
             TableStore many = server.open(ranged)) {
            System.out.printf(Locale.ROOT, "pg-read: %,d rows (BIGINT, INT, DOUBLE, 12-char VARCHAR), %d rounds,"
                    + " ranged read_connections %s; server %s%n", rows, rounds,
                    connections == null ? "default" : connections, server.describe());
            long start = System.nanoTime();
            try (Connection c = server.connection(); Statement s = c.createStatement()) {
                s.execute("CREATE SCHEMA \"" + schema + "\"");
                s.execute("CREATE TABLE " + one.sqlName(table) + " AS SELECT g::bigint AS id,"
                        + " (g % 100000)::int AS customer_id, (g % 10007) * 1.25::double precision AS amount,"
                        + " ('name-' || lpad((g % 1000000)::text, 7, '0'))::varchar AS name"
                        + " FROM generate_series(1, " + rows + ") g");
                s.execute("VACUUM (FREEZE, ANALYZE) " + one.sqlName(table));
                try (ResultSet rs = s.executeQuery("SELECT pg_relation_size('" + one.sqlName(table).replace("'", "''")
                        + "') >> 20")) {
                    rs.next();
                    System.out.printf(Locale.ROOT, "  table made and vacuumed beforehand: %6.2f s (%,d MiB)%n",
                            Rounds.seconds(start), rs.getLong(1));
                }
            }
            String[] sides = {"Weir, one connection", "Weir, ranges", "psql \\copy TO /dev/null CSV"};
            double[][] seconds = new double[3][rounds];
            for (int round = 0; round < rounds; round++) {
                for (int turn = 0; turn < 3; turn++) {
                    int side = (round + turn) % 3;
                    long t0 = System.nanoTime();
                    if (side == 2) {
                        String output = server.psql("\\copy " + one.sqlName(table) + " TO '/dev/null' CSV");
                        if (!output.isBlank() && !output.strip().equals("COPY " + rows)) {
                            throw new IllegalStateException("psql: expected COPY " + rows + ", got " + output.strip());
                        }
                    } else {
                        long read = read(side == 0 ? one : many, table, allocator);
                        if (read != rows) {
                            throw new IllegalStateException(sides[side] + ": expected " + rows + " rows, got " + read);
                        }
                    }
                    seconds[side][round] = Rounds.seconds(t0);
                }
                System.out.printf(Locale.ROOT, "  round %d: one connection %6.2f s, ranges %6.2f s, psql %6.2f s;"
                                + " to psql: one %.2fx, ranges %.2fx%n", round + 1, seconds[0][round], seconds[1][round],
                        seconds[2][round], seconds[2][round] / seconds[0][round], seconds[2][round] / seconds[1][round]);
            }
            double psql = Rounds.median(Arrays.copyOf(seconds[2], rounds));
            for (int side = 0; side < 3; side++) {
                double median = Rounds.median(Arrays.copyOf(seconds[side], rounds));
                System.out.printf(Locale.ROOT, "  median %-30s %6.2f s (%,10.0f rows/s)  %.2fx psql%n", sides[side] + ":",
                        median, rows / median, psql / median);
            }
        } finally {
            server.dropPrefixes();
            Files.deleteIfExists(dir);
        }
    }

    private static StoreSettings withArgs(StoreSettings settings, Map<String, Object> args) {
        return new StoreSettings(settings.instanceName(), settings.instanceId(), settings.connectionName(),
                settings.kind(), ConfigFactory.parseMap(args, "benchmark"), settings.workDir(), settings.origin());
    }

    private static long read(TableStore store, TableLocation table, BufferAllocator allocator) throws Exception {
        long read = 0;
        try (ArrowReader reader = store.readArrow(table, allocator, ReadOptions.ALL)) {
            while (reader.loadNextBatch()) {
                read += reader.getVectorSchemaRoot().getRowCount();
            }
        }
        return read;
    }
}
