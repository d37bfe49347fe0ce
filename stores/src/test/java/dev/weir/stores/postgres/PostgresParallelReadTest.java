package dev.weir.stores.postgres;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.weir.engine.store.ReadOptions;
import dev.weir.engine.store.StoreException;
import dev.weir.engine.store.TableLocation;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import org.apache.arrow.vector.ipc.ArrowReader;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Large tables read by page ranges on several connections at once: every row comes exactly once whatever
 * its type, predicates and column lists apply to every range, small tables stay on one connection, and a
 * read that fails or is closed early ends every connection it opened.
 */
class PostgresParallelReadTest extends PostgresStageFixture {

    private static final String INSTANCE = "parallel";
    /** The same instance, reading tables of 8 pages or more by ranges of 4 pages on up to 3 connections. */
    private PostgresTableStore ranged;

    PostgresParallelReadTest() {
        super(INSTANCE, "s");
    }

    @BeforeAll
    void openRangedStore() {
        ranged = PostgresTableStore.open(server.settings(INSTANCE, Map.of("read_range_pages", 4,
                "read_connections", 3)), server.env());
    }

    @AfterAll
    void closeRangedStore() {
        if (ranged != null) {
            ranged.close();
        }
    }

    private TableLocation table(String name, String select) {
        TableLocation table = new TableLocation(schema, name);
        store.executeScript("DROP TABLE IF EXISTS " + store.sqlName(table) + "; CREATE TABLE " + store.sqlName(table)
                + " AS " + select);
        return table;
    }

    /** 3,000 rows of every decoded type, about 90 pages: 23 ranges of 4 pages. */
    private TableLocation everyType(String name, String lastDay) {
        return table(name, """
                SELECT i AS id, i::smallint AS small, (i * 100003)::int AS medium, (i::bigint << 40) - 7 AS big,
                       (i / 3.0)::real AS single, (i / 7.0)::double precision AS double,
                       (i * 123.4567 - 5000)::numeric(12, 4) AS price, i % 3 = 0 AS flag,
                       ('é' || repeat('x', 150 + i % 50))::varchar AS text, decode(md5(i::text), 'hex') AS bytes,
                       CASE WHEN i = 2999 THEN LAST_DAY ELSE date '1999-12-31' + i END AS day,
                       timestamptz '2026-12-06 10:00:00+01' - i * interval '1 hour' AS at_zone,
                       CASE WHEN i % 5 = 0 THEN NULL ELSE i END AS sometimes
                FROM generate_series(0, 2999) i
                """.replace("LAST_DAY", lastDay));
    }

    private static List<List<Object>> read(PostgresTableStore from, TableLocation table, ReadOptions options,
                                           org.apache.arrow.memory.BufferAllocator allocator) throws Exception {
        try (ArrowReader read = from.readArrow(table, allocator, options)) {
            List<List<Object>> rows = new ArrayList<>(TestBatches.rows(read));
            rows.sort(Comparator.comparing(r -> (Integer) r.get(0)));
            return rows;
        }
    }

    @Test
    void aLargeTableReadByRangesHoldsEveryRowOnce() throws Exception {
        TableLocation table = everyType("every_type", "NULL");
        List<List<Object>> byRanges;
        try (ArrowReader read = ranged.readArrow(table, allocator, new ReadOptions(List.of(), null, 100))) {
            // Unread, the pool's connection soon waits to hand over its batches: the other two join meanwhile.
            PgParallelCopyReader parallel = assertInstanceOf(PgParallelCopyReader.class, read);
            long deadline = System.nanoTime() + 10_000_000_000L;
            while (parallel.joined() < 2 && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            assertEquals(2, parallel.joined());
            byRanges = new ArrayList<>(TestBatches.rows(read));
            byRanges.sort(Comparator.comparing(r -> (Integer) r.get(0)));
        }
        List<List<Object>> whole = read(store, table, new ReadOptions(List.of(), null, 100), allocator);
        assertEquals(3000, byRanges.size());
        for (int i = 0; i < byRanges.size(); i++) {
            assertEquals(i, byRanges.get(i).get(0), "each id once");
            assertEquals(shown(whole.get(i)), shown(byRanges.get(i)), "row " + i);
        }
    }

    @Test
    void aReadByRangesHoldsAtMostOneBatchPerConnectionAndTwoMore() throws Exception {
        TableLocation table = everyType("bounded", "NULL");
        ReadOptions options = new ReadOptions(List.of(), null, 20);
        long onePeak;
        try (org.apache.arrow.memory.BufferAllocator one = allocator.newChildAllocator("one", 0, Long.MAX_VALUE)) {
            assertEquals(3000, read(store, table, options, one).size());
            onePeak = one.getPeakMemoryAllocation();
        }
        try (org.apache.arrow.memory.BufferAllocator ranges = allocator.newChildAllocator("ranges", 0, Long.MAX_VALUE);
             ArrowReader read = ranged.readArrow(table, ranges, options)) {
            // Read slowly, so that every connection fills its batches and waits to hand them over.
            long rows = 0;
            while (read.loadNextBatch()) {
                rows += read.getVectorSchemaRoot().getRowCount();
                Thread.sleep(5);
            }
            assertEquals(3000, rows);
            // One connection's read holds one batch (the caller's); by ranges: 3 connections' + 2, with room for
            // a batch whose text outgrew its first buffer (a queue of a batch per connection would reach 8).
            assertTrue(ranges.getPeakMemoryAllocation() <= 6 * onePeak,
                    ranges.getPeakMemoryAllocation() + " bytes at the peak, one batch " + onePeak);
        }
    }

    @Test
    void predicatesAndColumnsApplyToEveryRange() throws Exception {
        TableLocation table = everyType("filtered", "NULL");
        List<List<Object>> rows = read(ranged, table, new ReadOptions(List.of("id", "flag"), "id % 7 = 0", 64),
                allocator);
        assertEquals(429, rows.size());
        for (int i = 0; i < rows.size(); i++) {
            assertEquals(List.of(i * 7, i * 7 % 3 == 0), rows.get(i));
        }
    }

    @Test
    void aTableOfFewerThanTwoRangesIsReadOnOneConnectionInItsOrder() throws Exception {
        TableLocation table = table("small", "SELECT i AS id, 'row ' || i AS label FROM generate_series(1, 500) i");
        try (ArrowReader read = ranged.readArrow(table, allocator, new ReadOptions(List.of(), null, 64))) {
            assertInstanceOf(PgCopyReader.class, read);
            List<List<Object>> rows = TestBatches.rows(read);
            assertEquals(500, rows.size());
            for (int i = 0; i < rows.size(); i++) {
                assertEquals(List.of(i + 1, "row " + (i + 1)), rows.get(i));
            }
        }
    }

    @Test
    void aFailureInALateRangeNamesTheTableAndEndsEveryConnection() throws Exception {
        TableLocation table = everyType("fails_late", "'infinity'::date");
        for (int attempt = 0; attempt < 6; attempt++) {
            try (ArrowReader read = ranged.readArrow(table, allocator, new ReadOptions(List.of(), null, 100))) {
                StoreException e = assertThrows(StoreException.class, () -> {
                    while (read.loadNextBatch()) {
                        assertTrue(read.getVectorSchemaRoot().getRowCount() > 0);
                    }
                });
                assertTrue(e.getMessage().contains("'day'"), e.getMessage());
                assertTrue(e.getMessage().contains(ranged.sqlName(table)), e.getMessage());
            }
            assertReadConnectionsEnded();
        }
        assertEquals(3000, ranged.rowCount(table));
    }

    @Test
    void aReaderClosedEarlyEndsEveryConnection() throws Exception {
        TableLocation table = everyType("closed_early", "NULL");
        // More early closes than the pool (4) has connections: the pool's must come back each time.
        for (int attempt = 0; attempt < 6; attempt++) {
            try (ArrowReader read = ranged.readArrow(table, allocator, new ReadOptions(List.of(), null, 10))) {
                assertTrue(read.loadNextBatch());
                assertEquals(10, read.getVectorSchemaRoot().getRowCount());
            }
            assertReadConnectionsEnded();
        }
        assertEquals(3000, read(ranged, table, ReadOptions.ALL, allocator).size());
    }

    /** No connection opened for a read is left, and none of the pool's stays in a transaction. */
    private void assertReadConnectionsEnded() throws Exception {
        long deadline = System.nanoTime() + 10_000_000_000L;
        String state = null;
        while (System.nanoTime() < deadline) {
            try (Connection c = server.connection(); Statement s = c.createStatement();
                 ResultSet rs = s.executeQuery("SELECT count(*) FILTER (WHERE application_name = 'weir " + INSTANCE
                         + " read'), count(*) FILTER (WHERE application_name = 'weir " + INSTANCE
                         + "' AND state <> 'idle') FROM pg_stat_activity")) {
                rs.next();
                state = rs.getLong(1) + " read connections, " + rs.getLong(2) + " busy pool connections";
                if (rs.getLong(1) == 0 && rs.getLong(2) == 0) {
                    return;
                }
            }
            Thread.sleep(50);
        }
        throw new AssertionError("connections left after a read: " + state);
    }

    /** A row as text, byte arrays by their content. */
    private static String shown(List<Object> row) {
        return row.stream().map(v -> v instanceof byte[] b ? java.util.HexFormat.of().formatHex(b) : String.valueOf(v))
                .toList().toString();
    }
}
