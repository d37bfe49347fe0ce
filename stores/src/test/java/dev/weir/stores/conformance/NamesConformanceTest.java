package dev.weir.stores.conformance;

import static dev.weir.stores.ArrowFixtures.rows;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.weir.engine.store.ReadOptions;
import dev.weir.engine.store.StoreException;
import dev.weir.engine.store.TableLocation;
import dev.weir.engine.store.TableSlice;
import dev.weir.engine.store.TableSpec;
import dev.weir.engine.store.TaskRecord;
import dev.weir.stores.ArrowFixtures;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.apache.arrow.vector.ipc.ArrowReader;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Names as users write them: stage, table and column names with quotes, percent signs, spaces, reserved
 * words, mixed case and Unicode survive every write and read path (SQL never goes through a format
 * string), and a stage name that would collide with the store's own schemas, or is empty, is refused.
 */
public abstract class NamesConformanceTest extends TableStoreFixture {

    @ParameterizedTest
    @ValueSource(strings = {"Order", "a-b", "select", "it's", "quote\"d", "MiXed Case"})
    void hostileIdentifiersAreQuotedEverywhere(String name) {
        store.beginStage(name);
        TableLocation target = new TableLocation(store.transactionSchema(name), name);
        store.writeSql(target, "SELECT 1 AS " + store.quote(name), new TableSpec(List.of(name), List.of(List.of(name))));
        store.recordTask(new TaskRecord(name, name, name, "{}", name, Instant.EPOCH));
        store.commitStage(name, "test_flow");

        TableLocation published = new TableLocation(store.committedSchema(name), name);
        assertEquals(List.of(name), store.listTables(store.committedSchema(name)));
        try (ArrowReader reader = store.readArrow(published, allocator,
                new ReadOptions(List.of(name), store.quote(name) + " = 1", 10))) {
            assertEquals(name, reader.getVectorSchemaRoot().getSchema().getFields().get(0).getName());
            assertEquals(List.of(List.of(1)), rows(reader));
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        assertTrue(store.findTask(name, name, name).isPresent());
    }

    /**
     * SQL holding user identifiers never goes through a format string: a {@code %} in a stage, table or
     * column name stays as it is, in every write path.
     */
    @ParameterizedTest
    @ValueSource(strings = {"a%%b", "a%nb", "%s", "100% \"sure\"", "it's a name", "naïve ünïcödé 表", "tab\there"})
    void namesWithPercentQuotesSpacesAndUnicodeSurviveEveryWrite(String name) {
        store.checkStageName(name);
        store.checkTableName(name);
        store.beginStage(name);
        String tx = store.transactionSchema(name);
        org.apache.arrow.vector.types.pojo.Schema schema = new org.apache.arrow.vector.types.pojo.Schema(List.of(
                Field.nullable(name, new ArrowType.Int(64, true))));
        try (ArrowReader data = oneValue(schema, 7)) {
            assertEquals(1, store.writeArrow(new TableLocation(tx, name), data, new TableSpec(List.of(name), List.of())));
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        TableLocation sliced = new TableLocation(tx, name + " sliced");
        store.createTable(sliced, schema);
        try (ArrowReader data = oneValue(schema, 8)) {
            assertEquals(1, store.appendArrow(sliced, data, new TableSlice(0, 1)).rows());
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        store.sealTable(sliced, TableSpec.NONE);
        store.writeSql(new TableLocation(tx, name + " sql"), "SELECT * FROM " + store.sqlName(new TableLocation(tx, name)),
                TableSpec.NONE);
        store.commitStage(name, "flow " + name);

        String committed = store.committedSchema(name);
        assertEquals(List.of(name, name + " sliced", name + " sql"), store.listTables(committed));
        assertEquals(List.of(List.of(7L)), read(new TableLocation(committed, name), ReadOptions.ALL));
        assertEquals(List.of(List.of(8L)), read(new TableLocation(committed, name + " sliced"), ReadOptions.ALL));
        assertEquals(Optional.of("flow " + name), store.stageOwner(name));

        store.beginStage(name);
        store.copyTables(List.of(new dev.weir.engine.store.TableCopy(new TableLocation(committed, name + " sql"),
                new TableLocation(store.transactionSchema(name), name + " copy"), TableSpec.NONE)));
        store.commitStage(name, "flow " + name);
        assertEquals(List.of(List.of(7L)), read(new TableLocation(committed, name + " copy"), ReadOptions.ALL));
    }

    private ArrowReader oneValue(org.apache.arrow.vector.types.pojo.Schema schema, long value) {
        return ArrowFixtures.stream(allocator, schema, 1, (root, batch) -> {
            root.allocateNew();
            ((org.apache.arrow.vector.BigIntVector) root.getVector(0)).setSafe(0, value);
            root.setRowCount(1);
        });
    }

    /** The stage name whose committed schema would be {@code schema} (the test stores have no suffix). */
    private String stageNamed(String schema) {
        String committed = store.committedSchema(STAGE);
        assertTrue(committed.endsWith(STAGE), "the test stores add no schema suffix: " + committed);
        String prefix = committed.substring(0, committed.length() - STAGE.length());
        assertTrue(schema.startsWith(prefix), schema);
        return schema.substring(prefix.length());
    }

    @Test
    void aStageWhoseSchemaWouldBeAnotherStagesTransactionSchemaIsRefused() {
        String clash = stageNamed(store.transactionSchema(STAGE));
        StoreException error = assertThrows(StoreException.class, () -> store.checkStageName(clash));
        assertTrue(error.getMessage().contains("'" + clash + "'") && error.getMessage().contains("Rename the stage"),
                error.getMessage());
        store.checkStageName(STAGE);
    }

    @Test
    void emptyNamesAreRefused() {
        assertThrows(StoreException.class, () -> store.checkStageName(""));
        assertThrows(StoreException.class, () -> store.checkTableName(""));
    }
}
