package dev.weir.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.weir.engine.Flow;
import dev.weir.engine.Ref;
import dev.weir.engine.Table;
import dev.weir.engine.config.InstanceConfig;
import dev.weir.engine.config.InstanceConfig.LocalTableCache;
import dev.weir.engine.data.ArrowTable;
import dev.weir.engine.data.Rows;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * pipedag's local table cache ({@code table_store.local_table_cache}): a task reads its input tables from
 * Parquet files kept under the producer's cache key instead of the table store, and never a file kept
 * under another key. Runs on every store: {@link LocalTableCacheOnDuckDbTest}, {@link LocalTableCacheOnPostgresTest}.
 */
abstract class LocalTableCacheTest extends FlowKitTest {

    /** What the consumer last read. */
    final AtomicReference<Rows> seen = new AtomicReference<>();
    Path base;
    InstanceConfig counted;

    @BeforeEach
    void countReads() {
        base = dir.resolve("local_table_cache");
        counted = ReadCountingStore.around(mini);
    }

    InstanceConfig with(boolean storeInput, boolean storeOutput, boolean useStored) {
        return counted.withLocalTableCache(new LocalTableCache(storeInput, storeOutput, useStored, base));
    }

    static Rows numbers(long n, long factor) {
        Rows.Builder rows = Rows.builder("id", "name", "amount");
        for (long i = 0; i < n; i++) {
            rows.add(i, "row " + i, i * factor * 0.5);
        }
        return rows.build();
    }

    /** raw/make writes {@code numbers}; out/sum reads it whole, as {@code type}, and keeps what it saw. */
    Flow flow(String makeVersion, long factor, String sumVersion, Class<?> type) {
        return Flow.define("ltc", f -> {
            Ref numbers = f.stage("raw").task("make").version(makeVersion)
                    .produces(ctx -> Table.of(numbers(5, factor), "numbers")).ref();
            f.stage("out").task("sum").version(sumVersion).input("numbers", numbers, type).produces(ctx -> {
                Rows rows;
                if (type == ArrowTable.class) {
                    rows = Rows.fromArrow(ctx.input("numbers", ArrowTable.class));
                } else if (type == org.apache.arrow.vector.ipc.ArrowReader.class) {
                    rows = Rows.fromArrow(ctx.input("numbers", org.apache.arrow.vector.ipc.ArrowReader.class));
                } else {
                    rows = ctx.input("numbers", Rows.class);
                }
                seen.set(rows);
                return (long) rows.size();
            });
        });
    }

    List<Path> files() {
        Path table = base.resolve("raw").resolve("numbers");
        if (!Files.isDirectory(table)) {
            return List.of();
        }
        try (Stream<Path> files = Files.list(table)) {
            return files.sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    int storeReads() {
        return ReadCountingStore.reads(counted, "numbers");
    }

    @Test
    void aConsumerReadsItsInputFromTheFileKeptUnderTheProducersKey() {
        InstanceConfig instance = with(true, false, true);
        FlowRunRecord first = kit.run(flow("1", 1, "1", Rows.class), instance);
        assertTrue(first.successful(), () -> first.result().toJson());
        assertEquals(1, storeReads(), "the first run reads the table from the store");
        assertEquals(1, files().size(), "and keeps it: " + files());
        assertEquals(numbers(5, 1), seen.get());

        for (Class<?> type : List.of(Rows.class, ArrowTable.class, org.apache.arrow.vector.ipc.ArrowReader.class)) {
            seen.set(null);
            FlowRunRecord again = kit.run(flow("1", 1, "2-" + type.getSimpleName(), type), instance);
            assertEquals(Set.of("sum"), again.ran());
            assertEquals(Set.of("make"), again.cacheHits());
            assertEquals(1, storeReads(), "read as " + type.getSimpleName() + " from the file, not the store");
            assertEquals(numbers(5, 1), seen.get(), "read as " + type.getSimpleName());
        }
    }

    @Test
    void withoutUseStoredInputAsCacheTheStoreIsReadAndTheFileOnlyKept() {
        InstanceConfig instance = with(true, false, false);
        kit.run(flow("1", 1, "1", Rows.class), instance);
        kit.run(flow("1", 1, "2", Rows.class), instance);
        assertEquals(2, storeReads());
        assertEquals(1, files().size());
    }

    @Test
    void aProducerThatRanAgainIsReadFromTheStoreNeverFromTheOldFile() {
        InstanceConfig instance = with(true, false, true);
        kit.run(flow("1", 1, "1", Rows.class), instance);
        List<Path> before = files();

        FlowRunRecord changed = kit.run(flow("2", 3, "1", Rows.class), instance);
        assertEquals(Set.of("make", "sum"), changed.ran());
        assertEquals(numbers(5, 3), seen.get(), "the new producer's rows, not the kept ones");
        assertEquals(2, storeReads());
        assertEquals(1, files().size(), "the older key's file is gone");
        assertFalse(files().equals(before), "kept under the new key");
    }

    @Test
    void storeOutputKeepsTheTablesATaskReturnsAndTheConsumerReadsThem() {
        InstanceConfig instance = with(false, true, true);
        kit.run(flow("1", 1, "1", Rows.class), instance);
        assertEquals(0, storeReads(), "the producer's own output was kept as it was written");
        assertEquals(numbers(5, 1), seen.get());
        assertEquals(1, files().size());
    }

    @Test
    void anUnreadableFileIsDeletedAndTheTableReadFromTheStore() throws IOException {
        InstanceConfig instance = with(true, false, true);
        kit.run(flow("1", 1, "1", Rows.class), instance);
        Path file = files().get(0);
        Files.writeString(file, "not parquet");

        FlowRunRecord again = kit.run(flow("1", 1, "2", Rows.class), instance);
        assertTrue(again.successful(), () -> again.result().toJson());
        assertEquals(numbers(5, 1), seen.get());
        assertEquals(2, storeReads());
        assertEquals(List.of(file), files(), "kept again, whole");
        assertTrue(Files.size(file) > "not parquet".length());
    }

    @Test
    void aTableWhoseKeyIsItsRunsAloneIsNeverKept() {
        InstanceConfig instance = with(true, true, true);
        Flow unversioned = Flow.define("ltc", f -> {
            Ref numbers = f.stage("raw").task("make").produces(ctx -> Table.of(numbers(5, 1), "numbers")).ref();
            f.stage("out").task("sum").version("1").input("numbers", numbers, Rows.class)
                    .produces(ctx -> (long) ctx.input("numbers", Rows.class).size());
        });
        kit.run(unversioned, instance);
        kit.run(unversioned, instance);
        assertEquals(List.of(), files());
        assertEquals(2, storeReads());
    }

    @Test
    void aTableOfManyTypesReadsTheSameFromTheFileAsFromTheStore() {
        AtomicReference<String> fromStore = new AtomicReference<>();
        AtomicReference<String> fromFile = new AtomicReference<>();
        String query = "SELECT CAST(7 AS INTEGER) AS i, CAST(9000000000 AS BIGINT) AS b, CAST(1.25 AS DOUBLE PRECISION) AS d,"
                + " CAST('héllo' AS VARCHAR) AS s, TRUE AS flag, CAST('2026-12-06' AS DATE) AS day,"
                + " CAST('2026-12-06 10:11:12.345678' AS TIMESTAMP) AS at, CAST(12.34 AS DECIMAL(10, 2)) AS price,"
                + " CAST(NULL AS VARCHAR) AS missing";
        java.util.function.BiFunction<String, AtomicReference<String>, Flow> typed = (version, into) -> Flow.define("ltc",
                f -> {
                    Ref t = f.stage("raw").task("typed").sql(query, java.util.Map.of()).ref();
                    f.stage("out").task("read").version(version).input("t", t, ArrowTable.class).produces(ctx -> {
                        ArrowTable table = ctx.input("t", ArrowTable.class);
                        into.set(table.schema() + " " + table.batches().get(0).contentToTSVString());
                        return table.rowCount();
                    });
                });
        InstanceConfig instance = with(true, false, true);
        kit.run(typed.apply("1", fromStore), instance);
        FlowRunRecord again = kit.run(typed.apply("2", fromFile), instance);
        assertEquals(Set.of("read"), again.ran());
        assertEquals(1, ReadCountingStore.reads(counted, "typed"), "the second read came from the file");
        assertEquals(fromStore.get(), fromFile.get());
    }
}
