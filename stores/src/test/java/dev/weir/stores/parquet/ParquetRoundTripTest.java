package dev.weir.stores.parquet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.weir.engine.data.ArrowTable;
import dev.weir.engine.data.Rows;
import dev.weir.engine.stream.ParquetReader;
import dev.weir.engine.stream.ParquetWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.arrow.memory.RootAllocator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What the writer writes, the reader reads back, found through the engine's ServiceLoader lookups. */
class ParquetRoundTripTest {

    @TempDir
    Path dir;
    RootAllocator allocator;

    @BeforeEach
    void open() {
        allocator = new RootAllocator();
    }

    @AfterEach
    void noLeaks() {
        allocator.close();
    }

    static Rows people() {
        return Rows.builder("id", "name", "score").add(1L, "ada", 1.5).add(2L, null, 2.5).add(3L, "grace", null).build();
    }

    @Test
    void aWrittenTableReadsBackEqualWithItsRowCountInTheFooter() {
        Path file = dir.resolve("sub/people.parquet");
        try (ParquetWriter writer = ParquetWriter.load(getClass().getClassLoader());
             ParquetReader reader = ParquetReader.load(getClass().getClassLoader());
             ArrowTable table = people().toArrow(allocator)) {
            writer.write(table, file);
            assertEquals(3, reader.rowCount(file));
            try (ArrowTable back = reader.read(file, allocator)) {
                assertEquals(people(), Rows.fromArrow(back));
            }
        }
    }

    @Test
    void aTruncatedFileFailsNamingIt() throws Exception {
        Path file = dir.resolve("people.parquet");
        try (ParquetWriter writer = ParquetWriter.load(getClass().getClassLoader());
             ArrowTable table = people().toArrow(allocator)) {
            writer.write(table, file);
        }
        byte[] bytes = Files.readAllBytes(file);
        Files.write(file, java.util.Arrays.copyOf(bytes, bytes.length / 2));
        try (ParquetReader reader = ParquetReader.load(getClass().getClassLoader())) {
            IllegalStateException error = assertThrows(IllegalStateException.class, () -> reader.rowCount(file));
            assertTrue(error.getMessage().contains(file.toString()), error.getMessage());
            assertThrows(IllegalStateException.class, () -> reader.read(file, allocator).close());
        }
    }
}
