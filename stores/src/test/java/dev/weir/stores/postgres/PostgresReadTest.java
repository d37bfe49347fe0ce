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
}
