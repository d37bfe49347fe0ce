package dev.weir.stores.postgres;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.weir.engine.store.ReadOptions;
import dev.weir.engine.store.StoreException;
import dev.weir.engine.store.TableLocation;
import dev.weir.engine.store.TableSpec;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.List;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.complex.StructVector;
import org.apache.arrow.vector.ipc.ArrowReader;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;
import org.apache.arrow.vector.types.pojo.Schema;
import org.junit.jupiter.api.Test;

/** Keys, indexes, copies inside the database, SQL-made tables, scripts and hostile names. */
class PostgresTablesTest extends PostgresStageFixture {

    PostgresTablesTest() {
        super("tables", "t");
    }

    private TestBatches rows(String idColumn, String labelColumn, int count) {
        Schema s = new Schema(List.of(Field.nullable(idColumn, new ArrowType.Int(64, true)),
                Field.nullable(labelColumn, ArrowType.Utf8.INSTANCE)));
        return new TestBatches(allocator, s, 1, (root, batch) -> {
            for (int r = 0; r < count; r++) {
                ((BigIntVector) root.getVector(0)).setSafe(r, r);
                ((VarCharVector) root.getVector(1)).setSafe(r, ("v" + r % 7).getBytes(StandardCharsets.UTF_8));
            }
            root.setRowCount(count);
        });
    }

    /** Index definitions of a table, from pg_indexes. */
    private List<String> indexes(TableLocation table) throws Exception {
        List<String> definitions = new ArrayList<>();
        try (Connection c = server.connection();
             PreparedStatement s = c.prepareStatement(
                     "SELECT indexdef FROM pg_indexes WHERE schemaname = ? AND tablename = ? ORDER BY indexdef")) {
            s.setString(1, table.schema());
            s.setString(2, table.table());
            try (ResultSet rs = s.executeQuery()) {
                while (rs.next()) {
                    definitions.add(rs.getString(1));
                }
            }
        }
        return definitions;
    }

    @Test
    void primaryKeyAndIndexesAreAddedAfterLoading() throws Exception {
        TableLocation table = new TableLocation(schema, "keyed");
        try (ArrowReader data = rows("id", "label", 50)) {
            store.writeArrow(table, data, new TableSpec(List.of("id"), List.of(List.of("label"), List.of("label", "id"))));
        }
        List<String> defs = indexes(table);
        assertEquals(3, defs.size(), defs.toString());
        assertTrue(defs.stream().anyMatch(d -> d.startsWith("CREATE UNIQUE INDEX") && d.endsWith("(id)")), defs.toString());
        assertTrue(defs.stream().anyMatch(d -> d.endsWith("(label)")), defs.toString());
        assertTrue(defs.stream().anyMatch(d -> d.endsWith("(label, id)")), defs.toString());
    }

    @Test
    void aDuplicatePrimaryKeyFailsPermanentlyAndLeavesNoTable() throws Exception {
        TableLocation table = new TableLocation(schema, "dup_key");
        StoreException e;
        try (ArrowReader data = rows("id", "label", 20)) {
            e = assertThrows(StoreException.class,
                    () -> store.writeArrow(table, data, new TableSpec(List.of("label"), List.of())));
        }
        assertFalse(e.isTransient());
        assertTrue(e.getMessage().contains("23505"), e.getMessage());
        assertTrue(e.getMessage().contains("ADD PRIMARY KEY"), e.getMessage());
        assertFalse(store.exists(table), "the failed write is rolled back");
    }

    @Test
    void copyTableCopiesRowsInsideTheDatabaseWithTheGivenKeys() throws Exception {
        TableLocation source = new TableLocation(schema, "copy_source");
        try (ArrowReader data = rows("id", "label", 30)) {
            store.writeArrow(source, data, TableSpec.NONE);
        }
        store.beginStage("copy_target");
        TableLocation target = new TableLocation(store.transactionSchema("copy_target"), "copied");
        store.copyTable(source, target, new TableSpec(List.of("id"), List.of(List.of("label"))));
        assertEquals(30, store.rowCount(target));
        assertEquals(2, indexes(target).size());
    }

    @Test
    void writeSqlCreatesTheTableInsideTheDatabase() throws Exception {
        TableLocation source = new TableLocation(schema, "sql_source");
        try (ArrowReader data = rows("id", "label", 70)) {
            store.writeArrow(source, data, TableSpec.NONE);
        }
        TableLocation target = new TableLocation(schema, "sql_made");
        long rows = store.writeSql(target, "SELECT label, count(*) AS n FROM " + store.sqlName(source) + " GROUP BY label",
                new TableSpec(List.of("label"), List.of()));
        assertEquals(7, rows);
        assertEquals(7, store.rowCount(target));
    }

    @Test
    void aScriptRunsInOneTransaction() {
        String a = store.sqlName(new TableLocation(schema, "script_a"));
        store.executeScript("CREATE TABLE " + a + " (x int); INSERT INTO " + a + " VALUES (1), (2);");
        assertEquals(2, store.rowCount(new TableLocation(schema, "script_a")));

        String b = store.sqlName(new TableLocation(schema, "script_b"));
        StoreException e = assertThrows(StoreException.class,
                () -> store.executeScript("CREATE TABLE " + b + " (x int); SELEC 1;"));
        assertTrue(e.getMessage().contains("42601"), e.getMessage());
        assertTrue(e.getMessage().contains("SELEC 1"), "names the SQL: " + e.getMessage());
        assertFalse(e.isTransient());
        assertFalse(store.exists(new TableLocation(schema, "script_b")), "the first statement was rolled back");
    }

    @Test
    void hostileIdentifiersAreQuotedEverywhere() throws Exception {
        store.beginStage("it's \"Order\"");
        String hostileSchema = store.transactionSchema("it's \"Order\"");
        List<String> names = List.of("Order", "a-b", "select", "it's", "quote\"d");
        for (String name : names) {
            TableLocation table = new TableLocation(hostileSchema, name);
            try (ArrowReader data = rows("Order", "quote\"d", 5)) {
                store.writeArrow(table, data, new TableSpec(List.of("Order"), List.of(List.of("quote\"d"))));
            }
            assertTrue(store.exists(table), name);
            try (ArrowReader read = store.readArrow(table, allocator,
                    new ReadOptions(List.of("quote\"d"), "\"Order\" < 2", 100))) {
                assertEquals(List.of(List.of("v0"), List.of("v1")), TestBatches.rows(read));
            }
            store.copyTable(table, new TableLocation(hostileSchema, name + " copy"), TableSpec.NONE);
        }
        assertEquals(List.of("Order", "Order copy", "a-b", "a-b copy", "it's", "it's copy", "quote\"d", "quote\"d copy",
                "select", "select copy"), store.listTables(hostileSchema));
        store.commitStage("it's \"Order\"", "test_flow");
        assertEquals(10, store.listTables(store.committedSchema("it's \"Order\"")).size());
        assertEquals("\"a\"\"b\"", store.quote("a\"b"));
    }

    @Test
    void aTableNameOverSixtyThreeBytesIsRejectedBeforeAnythingIsCreated() throws Exception {
        String longName = "t".repeat(64);
        TableLocation table = new TableLocation(schema, longName);
        try (ArrowReader data = rows("id", "label", 1)) {
            StoreException e = assertThrows(StoreException.class, () -> store.writeArrow(table, data, TableSpec.NONE));
            assertTrue(e.getMessage().contains(longName) && e.getMessage().contains("63"), e.getMessage());
        }
        assertFalse(store.exists(new TableLocation(schema, "t".repeat(63))));
    }

    @Test
    void aColumnNameOverSixtyThreeBytesIsRejectedNamingIt() throws Exception {
        String longColumn = "c".repeat(64);
        TableLocation table = new TableLocation(schema, "long_column");
        try (ArrowReader data = rows("id", longColumn, 1)) {
            StoreException e = assertThrows(StoreException.class, () -> store.writeArrow(table, data, TableSpec.NONE));
            assertTrue(e.getMessage().contains(longColumn) && e.getMessage().contains(table.toString()), e.getMessage());
        }
        assertFalse(store.exists(table));
    }

    @Test
    void anUnsupportedArrowTypeIsRejectedNamingColumnTypeAndTable() throws Exception {
        Field struct = new Field("point", FieldType.nullable(ArrowType.Struct.INSTANCE),
                List.of(Field.nullable("x", new ArrowType.Int(32, true))));
        Schema s = new Schema(List.of(Field.nullable("id", new ArrowType.Int(32, true)), struct));
        TableLocation table = new TableLocation(schema, "with_struct");
        try (ArrowReader data = new TestBatches(allocator, s, 1, (root, batch) -> {
            ((StructVector) root.getVector("point")).setNull(0);
            root.setRowCount(1);
        })) {
            StoreException e = assertThrows(StoreException.class, () -> store.writeArrow(table, data, TableSpec.NONE));
            assertTrue(e.getMessage().contains("'point'"), e.getMessage());
            assertTrue(e.getMessage().contains("Struct"), e.getMessage());
            assertTrue(e.getMessage().contains(table.toString()), e.getMessage());
        }
        assertFalse(store.exists(table));
    }

    @Test
    void aBadQueryNamesItsSql() {
        StoreException e = assertThrows(StoreException.class,
                () -> store.query("SELECT nope FROM " + store.sqlName(new TableLocation(schema, "missing")), allocator));
        assertTrue(e.getMessage().contains("42P01") && e.getMessage().contains("\"missing\""), e.getMessage());
        assertEquals("SELECT nope FROM " + store.sqlName(new TableLocation(schema, "missing")), e.sql());
    }
}
