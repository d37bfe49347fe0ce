package dev.weir.stores.postgres;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.weir.engine.store.ReadOptions;
import dev.weir.engine.store.StoreException;
import dev.weir.engine.store.TableLocation;
import java.util.List;
import java.util.Map;
import org.apache.arrow.vector.ipc.ArrowReader;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.junit.jupiter.api.Test;

/**
 * Table reads: types without an Arrow counterpart come as text, long values and many batches come
 * whole, a value Arrow cannot hold names its column, and a reader closed early returns its connection.
 */
class PostgresReadTest extends PostgresStageFixture {

    PostgresReadTest() {
        super("reads", "s");
    }

    private TableLocation table(String name, String select) {
        TableLocation table = new TableLocation(schema, name);
        store.executeScript("DROP TABLE IF EXISTS " + store.sqlName(table) + "; CREATE TABLE " + store.sqlName(table)
                + " AS " + select);
        return table;
    }

    private List<List<Object>> read(TableLocation table, int batchRows) throws Exception {
        try (ArrowReader read = store.readArrow(table, allocator, new ReadOptions(List.of(), null, batchRows))) {
            return TestBatches.rows(read);
        }
    }

    @Test
    void longValuesAndManyRowsComeThroughWhole() throws Exception {
        TableLocation table = table("long_values",
                "SELECT i::bigint AS id, repeat('x', (i % 50) * 300) AS text_value FROM generate_series(0, 1999) i");
        List<List<Object>> rows = read(table, 700);
        assertEquals(2000, rows.size());
        for (int i = 0; i < rows.size(); i++) {
            assertEquals(List.of((long) i, "x".repeat((i % 50) * 300)), rows.get(i));
        }
    }

    @Test
    void typesWithoutAnArrowCounterpartReadAsText() throws Exception {
        TableLocation table = table("other_types", """
                SELECT 1 AS id, '{"a": 1}'::jsonb AS doc, '5 days'::interval AS span,
                       'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'::uuid AS uid
                """);
        try (ArrowReader read = store.readArrow(table, allocator, ReadOptions.ALL)) {
            assertEquals(ArrowType.Utf8.INSTANCE, read.getVectorSchemaRoot().getSchema().getFields().get(1).getType());
            assertEquals("[[1, {\"a\": 1}, 5 days, a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11]]",
                    TestBatches.rows(read).toString());
        }
    }

    @Test
    void valuesArrowCannotHoldNameTheirColumn() throws Exception {
        Map<String, String> columns = Map.of("valid_until", "'infinity'::date",
                "starts_at", "'-infinity'::timestamp", "ends_at", "'infinity'::timestamptz",
                "ratio", "'NaN'::numeric(10, 2)");
        for (Map.Entry<String, String> column : columns.entrySet()) {
            TableLocation table = table("cannot_hold_" + column.getKey(),
                    "SELECT 1 AS id, " + column.getValue() + " AS " + column.getKey());
            try (ArrowReader read = store.readArrow(table, allocator, ReadOptions.ALL)) {
                StoreException e = assertThrows(StoreException.class, read::loadNextBatch);
                assertTrue(e.getMessage().contains("'" + column.getKey() + "'"), e.getMessage());
            }
        }
    }

    @Test
    void aReaderClosedBeforeTheEndReturnsItsConnection() throws Exception {
        TableLocation table = table("big", "SELECT i AS id, 'row ' || i AS label FROM generate_series(1, 200000) i");
        // More early closes than the pool (4) has connections: each must come back, usable.
        for (int i = 0; i < 10; i++) {
            try (ArrowReader read = store.readArrow(table, allocator, new ReadOptions(List.of(), null, 1_000))) {
                assertTrue(read.loadNextBatch());
                assertEquals(1_000, read.getVectorSchemaRoot().getRowCount());
            }
        }
        assertEquals(200_000, store.rowCount(table));
    }

    @Test
    void aFailingQueryNamesItsStatement() {
        TableLocation missing = new TableLocation(schema, "no_such_table");
        StoreException e = assertThrows(StoreException.class,
                () -> store.readArrow(missing, allocator, ReadOptions.ALL).close());
        assertTrue(e.getMessage().contains("no_such_table"), e.getMessage());
    }

    @Test
    void aTableReadByBinaryCopyHoldsWhatJdbcReadsOfIt() throws Exception {
        TableLocation table = table("every_type", """
                SELECT i AS id, i::smallint AS small, (i * 1000003)::int AS medium, (i::bigint << 40) - 7 AS big,
                       (i / 3.0)::real AS single, (i / 7.0)::double precision AS double,
                       (i * 123.4567 - 5000)::numeric(12, 4) AS price,
                       ((i - 50) * 10::numeric ^ 20 + 0.5)::numeric(60, 1) AS huge,
                       (i / 9.0)::numeric AS free, 0::numeric(5, 2) AS zero,
                       i % 3 = 0 AS flag, ('x' || i)::char(6) AS padded, ('é' || repeat('ü', i))::varchar AS text,
                       decode(md5(i::text), 'hex') AS bytes,
                       date '1999-12-31' + i AS day, timestamp '1969-12-31 23:59:59.123456' + i * interval '1 day 1 second' AS at,
                       timestamptz '2026-12-06 10:00:00+01' - i * interval '1 hour' AS at_zone,
                       CASE WHEN i % 5 = 0 THEN NULL ELSE i END AS sometimes
                FROM generate_series(0, 99) i
                UNION ALL SELECT 100, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, repeat('z', 300000),
                       NULL, NULL, NULL, NULL, NULL
                """);
        String select = "SELECT * FROM " + store.sqlName(table) + " ORDER BY id";
        List<List<Object>> viaJdbc;
        org.apache.arrow.vector.types.pojo.Schema jdbcSchema;
        try (ArrowReader read = store.query(select, allocator)) {
            jdbcSchema = read.getVectorSchemaRoot().getSchema();
            viaJdbc = TestBatches.rows(read);
        }
        List<List<Object>> viaCopy;
        try (ArrowReader read = store.readArrow(table, allocator, new ReadOptions(List.of(), null, 37))) {
            assertEquals(jdbcSchema, read.getVectorSchemaRoot().getSchema());
            viaCopy = TestBatches.rows(read);
        }
        viaCopy.sort(java.util.Comparator.comparing(r -> (Integer) r.get(0)));
        assertEquals(101, viaCopy.size());
        for (int i = 0; i < viaJdbc.size(); i++) {
            assertEquals(shown(viaJdbc.get(i)), shown(viaCopy.get(i)), "row " + i);
        }
    }

    @Test
    void readsToTheEndLeaveThePoolsConnectionsUsable() throws Exception {
        TableLocation table = table("again", "SELECT i AS id FROM generate_series(1, 100000) i");
        for (int i = 0; i < 12; i++) {
            assertEquals(100_000, read(table, 65_536).size());
        }
        assertEquals(100_000, store.rowCount(table));
    }

    /** A row as text, byte arrays by their content. */
    private static String shown(List<Object> row) {
        return row.stream().map(v -> v instanceof byte[] b ? java.util.HexFormat.of().formatHex(b) : String.valueOf(v))
                .toList().toString();
    }
}
