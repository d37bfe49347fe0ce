package dev.weir.stores.postgres;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.weir.engine.store.ReadOptions;
import dev.weir.engine.store.StoreException;
import dev.weir.engine.store.TableLocation;
import java.util.List;
import org.apache.arrow.vector.ipc.ArrowReader;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.junit.jupiter.api.Test;

/**
 * Table reads by binary {@code COPY TO} agree with reads by cursor, fall back to the cursor for types
 * the decoder does not know, name the column of a value Arrow cannot hold, and return their connection
 * when closed early.
 */
class PostgresCopyReadTest extends PostgresStageFixture {

    PostgresCopyReadTest() {
        super("copyread", "s");
    }

    private TableLocation table(String name, String select) {
        TableLocation table = new TableLocation(schema, name);
        store.executeScript("DROP TABLE IF EXISTS " + store.sqlName(table) + "; CREATE TABLE " + store.sqlName(table)
                + " AS " + select);
        return table;
    }

    private List<List<Object>> byCopy(TableLocation table, int batchRows) throws Exception {
        try (ArrowReader read = store.readArrow(table, allocator, new ReadOptions(List.of(), null, batchRows))) {
            assertInstanceOf(PgCopyReader.class, read, "a table of decodable types is read by COPY");
            return comparable(TestBatches.rows(read));
        }
    }

    private List<List<Object>> byCursor(TableLocation table) throws Exception {
        try (ArrowReader read = store.query("SELECT * FROM " + store.sqlName(table), allocator)) {
            assertInstanceOf(PgArrowReader.class, read);
            return comparable(TestBatches.rows(read));
        }
    }

    /** Rows with byte arrays as their contents, so that equal rows compare equal. */
    private static List<List<Object>> comparable(List<List<Object>> rows) {
        return rows.stream().map(row -> row.stream()
                .map(value -> value instanceof byte[] bytes ? (Object) java.util.Arrays.toString(bytes) : value)
                .toList()).toList();
    }

    @Test
    void copyAndCursorReadTheSameValuesOfEveryDecodedType() throws Exception {
        TableLocation table = table("every_type", """
                SELECT i::int2 AS i2, (i * 1000)::int4 AS i4, (i::int8 * 10000000000) AS i8,
                       (i / 3.0)::float4 AS f4, (i / 7.0)::float8 AS f8,
                       (i * 12345.678901)::numeric(20, 6) AS dec, (-i * 0.0001)::numeric(12, 4) AS small_dec,
                       (10::numeric ^ (i % 20) + 0.5)::numeric(38, 4) AS wide_dec,
                       i % 2 = 0 AS b, 'text ' || i AS t, ('v' || i)::varchar(10) AS v, ('c' || i)::char(5) AS c,
                       ('n' || i)::name AS n, convert_to('bytes ' || i, 'UTF8') AS bin,
                       date '1969-12-31' + i AS d, timestamp '1999-12-31 23:59:59.999999' + i * interval '1 hour' AS ts,
                       timestamptz '2000-01-01 00:00:00+00' - i * interval '1 second' AS tstz
                FROM generate_series(-50, 250) i
                UNION ALL
                SELECT NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL
                UNION ALL
                SELECT 0, 0, 0, 'NaN'::float4, '-Infinity'::float8, 0, 0, 0, false, 'ünïcødé ✓', '', '', '', '\\x'::bytea,
                       date '0001-01-01', timestamp '0001-01-01 00:00:00', timestamptz '9999-12-31 23:59:59.999999+00'
                """);
        List<List<Object>> cursor = byCursor(table);
        assertEquals(303, cursor.size());
        // Several batch sizes, so that rows are split across batches in different places.
        for (int batchRows : new int[] {1, 7, 100, 65_536}) {
            assertEquals(cursor, byCopy(table, batchRows), "batch rows " + batchRows);
        }
    }

    @Test
    void longValuesAndManyRowsComeThroughWhole() throws Exception {
        TableLocation table = table("long_values",
                "SELECT i AS id, repeat('x', (i % 50) * 300) AS text_value FROM generate_series(0, 1999) i");
        List<List<Object>> rows = byCopy(table, 700);
        assertEquals(2000, rows.size());
        assertEquals(49 * 300, rows.get(1999).get(1).toString().length());
        assertEquals(byCursor(table), rows);
    }

    @Test
    void typesTheDecoderDoesNotKnowAreReadByCursor() throws Exception {
        TableLocation table = table("other_types", """
                SELECT 1 AS id, '{"a": 1}'::jsonb AS doc, '5 days'::interval AS span,
                       'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'::uuid AS uid
                """);
        try (ArrowReader read = store.readArrow(table, allocator, ReadOptions.ALL)) {
            assertInstanceOf(PgArrowReader.class, read);
            assertEquals(ArrowType.Utf8.INSTANCE, read.getVectorSchemaRoot().getSchema().getFields().get(1).getType());
            assertEquals("[[1, {\"a\": 1}, 5 days, a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11]]",
                    TestBatches.rows(read).toString());
        }
    }

    @Test
    void valuesArrowCannotHoldNameTheirColumn() throws Exception {
        TableLocation dates = table("infinite_date", "SELECT 'infinity'::date AS valid_until");
        TableLocation numbers = table("nan_numeric", "SELECT 'NaN'::numeric(10, 2) AS ratio");
        for (TableLocation table : List.of(dates, numbers)) {
            try (ArrowReader read = store.readArrow(table, allocator, ReadOptions.ALL)) {
                StoreException e = assertThrows(StoreException.class, read::loadNextBatch);
                String column = table == dates ? "'valid_until'" : "'ratio'";
                assertTrue(e.getMessage().contains(column), e.getMessage());
            }
        }
    }

    @Test
    void aReaderClosedBeforeTheEndCancelsItsCopyAndReturnsItsConnection() throws Exception {
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
