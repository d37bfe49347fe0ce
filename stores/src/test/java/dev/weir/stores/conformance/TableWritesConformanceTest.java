package dev.weir.stores.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.weir.engine.store.ReadOptions;
import dev.weir.engine.store.StoreException;
import dev.weir.engine.store.TableLocation;
import dev.weir.engine.store.TableSpec;
import dev.weir.stores.ArrowFixtures;
import java.util.List;
import org.apache.arrow.vector.ipc.ArrowReader;
import org.junit.jupiter.api.Test;

/**
 * Tables written whole: from Arrow data or a query, with their primary key and indexes, replacing a
 * table of the same name, copied forward for a cache hit, or made by a script; a failed write leaves
 * no table behind and its error carries the SQL and names the table.
 */
public abstract class TableWritesConformanceTest extends TableStoreFixture {

    @Test
    void primaryKeyRejectsDuplicateRows() {
        store.beginStage(STAGE);
        TableLocation target = inTransaction("keyed");
        write(target, 1, 1, 5, new TableSpec(List.of("id"), List.of()));
        String insert = "INSERT INTO " + store.sqlName(target) + " VALUES (1, 'again')";
        StoreException error = assertThrows(StoreException.class, () -> store.executeScript(insert));
        assertEquals(insert, error.sql());
        assertEquals(5, store.rowCount(target));
    }

    @Test
    void duplicateKeysInTheDataFailTheWriteAndLeaveNoTable() {
        store.beginStage(STAGE);
        TableLocation target = inTransaction("keyed");
        try (ArrowReader data = ArrowFixtures.stream(allocator, ArrowFixtures.ID_NAME, 2, (root, batch) -> {
            root.allocateNew();
            ((org.apache.arrow.vector.BigIntVector) root.getVector("id")).setSafe(0, 7L);
            root.setRowCount(1);
        })) {
            StoreException error = assertThrows(StoreException.class,
                    () -> store.writeArrow(target, data, new TableSpec(List.of("id"), List.of())));
            assertTrue(error.getMessage().contains("keyed"), error.getMessage());
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        assertFalse(store.exists(target));
        StoreException error = assertThrows(StoreException.class, () -> store.writeSql(target,
                "SELECT 1 AS id UNION ALL SELECT 1", new TableSpec(List.of("id"), List.of())));
        assertTrue(error.getMessage().contains("keyed"), error.getMessage());
        assertFalse(store.exists(target));
    }

    @Test
    void aKeyOrIndexColumnNamedInAnotherCaseIsRefusedNamingItAndLeavesNoTable() {
        store.beginStage(STAGE);
        TableLocation target = inTransaction("cased");
        for (TableSpec spec : List.of(new TableSpec(List.of("ID"), List.of()), new TableSpec(List.of(), List.of(List.of("Name"))))) {
            String column = spec.primaryKey().isEmpty() ? "Name" : "ID";
            StoreException arrow = assertThrows(StoreException.class, () -> write(target, 1, 1, 3, spec));
            assertTrue(arrow.getMessage().contains("cased") && arrow.getMessage().contains(column), arrow.getMessage());
            assertFalse(store.exists(target));
            StoreException sql = assertThrows(StoreException.class,
                    () -> store.writeSql(target, "SELECT 1 AS id, 'a' AS name", spec));
            assertTrue(sql.getMessage().contains("cased") && sql.getMessage().contains(column), sql.getMessage());
            assertFalse(store.exists(target));
        }
    }

    @Test
    void indexesAreCreated() {
        store.beginStage(STAGE);
        TableLocation target = inTransaction("indexed");
        write(target, 1, 1, 5, new TableSpec(List.of("id"), List.of(List.of("name"), List.of("name", "id"))));
        assertEquals(2, indexCount(store, target));
    }

    @Test
    void writeSqlCreatesATableFromAQuery() {
        store.beginStage(STAGE);
        write(inTransaction("ids"), 1, 1, 10, TableSpec.NONE);
        long rows = store.writeSql(inTransaction("evens"),
                "SELECT * FROM " + store.sqlName(inTransaction("ids")) + " WHERE id % 2 = 0", TableSpec.NONE);
        assertTrue(rows == 5 || rows == -1, "rows: " + rows);
        assertEquals(5, store.rowCount(inTransaction("evens")));
    }

    @Test
    void writingReplacesATableOfTheSameName() {
        store.beginStage(STAGE);
        write(inTransaction("ids"), 1, 1, 10, new TableSpec(List.of("id"), List.of(List.of("name"))));
        write(inTransaction("ids"), 1, 1, 3, new TableSpec(List.of("id"), List.of(List.of("name"))));
        assertEquals(3, store.rowCount(inTransaction("ids")));
    }

    @Test
    void copyTableCarriesACacheHitForward() {
        store.beginStage(STAGE);
        write(inTransaction("ids"), 1, 1, 10, TableSpec.NONE);
        store.commitStage(STAGE, "test_flow");

        store.beginStage(STAGE);
        TableSpec keyed = new TableSpec(List.of("id"), List.of());
        store.copyTable(committed("ids"), inTransaction("ids"), keyed);
        String duplicate = "INSERT INTO " + store.sqlName(inTransaction("ids")) + " VALUES (1, 'again')";
        assertThrows(StoreException.class, () -> store.executeScript(duplicate));
        store.commitStage(STAGE, "test_flow");

        assertEquals(10, store.rowCount(committed("ids")));
        assertEquals(read(committed("ids"), ReadOptions.ALL).size(), 10);
    }

    @Test
    void executeScriptCreatesSeveralTablesInOneTransaction() {
        store.beginStage(STAGE);
        String one = store.sqlName(inTransaction("one"));
        String two = store.sqlName(inTransaction("two"));
        store.executeScript("CREATE TABLE " + one + " AS SELECT 1 AS x;\nCREATE TABLE " + two + " AS SELECT 2 AS x;");
        assertEquals(List.of("one", "two"), store.listTables(store.transactionSchema(STAGE)));

        String failing = "CREATE TABLE " + store.sqlName(inTransaction("three")) + " AS SELECT 3 AS x;\n"
                + "SELECT * FROM no_such_table;";
        StoreException error = assertThrows(StoreException.class, () -> store.executeScript(failing));
        assertTrue(error.getMessage().contains("no_such_table"), error.getMessage());
        assertFalse(store.exists(inTransaction("three")), "a failed script leaves nothing behind");
    }

    @Test
    void errorsCarryTheSqlAndNameTheTable() {
        store.beginStage(STAGE);
        StoreException error = assertThrows(StoreException.class,
                () -> store.writeSql(inTransaction("broken"), "SELEKT 1", TableSpec.NONE));
        assertTrue(error.sql().contains("SELEKT 1"), error.sql());
        assertTrue(error.getMessage().contains("broken"), error.getMessage());
        assertFalse(error.isTransient());
    }
}
