package dev.weir.stores.parquet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.weir.engine.data.ArrowTable;
import dev.weir.engine.stream.BatchInput;
import dev.weir.engine.stream.BatchSource;
import dev.weir.engine.stream.ParquetWriter;
import dev.weir.engine.stream.StreamExecutor;
import dev.weir.engine.stream.StreamFailedException;
import dev.weir.engine.stream.StreamGraph;
import dev.weir.engine.stream.StreamSummary;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Iterator;
import java.util.List;
import java.util.stream.Stream;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** writeTo writes a streaming run's outputs as Parquet files that DuckDB reads back. */
class StreamingParquetTest {

    private static ActorSystem<Void> system;
    private RootAllocator allocator;
    private StreamExecutor executor;

    @TempDir
    Path dir;

    @BeforeAll
    static void startSystem() {
        system = ActorSystem.create(Behaviors.empty(), "streaming-parquet-test");
    }

    @AfterAll
    static void stopSystem() {
        system.terminate();
    }

    @BeforeEach
    void setUp() {
        allocator = new RootAllocator();
        executor = new StreamExecutor(system, allocator);
    }

    @AfterEach
    void noLeaks() {
        allocator.close();
    }

    private static BatchSource batches(int count, int rows) {
        return alloc -> new Iterator<>() {
            private int next;

            @Override
            public boolean hasNext() {
                return next < count;
            }

            @Override
            public ArrowTable next() {
                BigIntVector ids = new BigIntVector("id", alloc);
                ids.allocateNew(rows);
                for (int i = 0; i < rows; i++) {
                    ids.set(i, (long) next * rows + i);
                }
                ids.setValueCount(rows);
                next++;
                return ArrowTable.of(VectorSchemaRoot.of(ids));
            }
        };
    }

    private static long count(String sql) throws SQLException {
        try (Connection c = DriverManager.getConnection("jdbc:duckdb:"); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }

    private static List<String> files(Path dir) throws Exception {
        try (Stream<Path> files = Files.list(dir)) {
            return files.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    @Test
    void theEngineFindsTheDuckDbWriter() {
        try (ParquetWriter writer = ParquetWriter.load(getClass().getClassLoader())) {
            assertInstanceOf(DuckDbParquetWriter.class, writer);
        }
    }

    @Test
    void outputsArePartitionedByTerminalTaskOneFilePerBatch() throws Exception {
        StreamGraph graph = StreamGraph.builder()
                .task("parse", BatchInput::table).source("parse")
                .task("small", BatchInput::table, "parse")
                .task("large", BatchInput::table, "parse")
                .set("large", "max-rows", 40)
                .build();
        StreamSummary summary = executor.writeTo(graph, batches(4, 100), dir, true);

        assertEquals(List.of("large", "small"), files(dir));
        assertEquals(List.of("batch-00000000.parquet", "batch-00000001.parquet", "batch-00000002.parquet",
                "batch-00000003.parquet"), files(dir.resolve("small")));
        assertEquals(12, files(dir.resolve("large")).size()); // 100 rows in parts of 40, 40, 20
        assertEquals(400, count("SELECT count(*) FROM read_parquet('" + dir.resolve("small") + "/*.parquet')"));
        assertEquals(400, count("SELECT count(DISTINCT id) FROM read_parquet('" + dir.resolve("large") + "/*.parquet')"));
        assertEquals(100, count("SELECT count(*) FROM read_parquet('" + dir.resolve("small/batch-00000002.parquet")
                + "') WHERE id BETWEEN 200 AND 299"));
        assertEquals(4, summary.task("small").batches());
    }

    @Test
    void withoutPartitionsTheFilesNameTheirTask() throws Exception {
        StreamGraph graph = StreamGraph.builder().task("parse", BatchInput::table).source("parse").build();
        executor.writeTo(graph, batches(2, 10), dir, false);
        assertEquals(List.of("parse-batch-00000000.parquet", "parse-batch-00000001.parquet"), files(dir));
        assertEquals(20, count("SELECT count(*) FROM read_parquet('" + dir + "/*.parquet')"));
    }

    @Test
    void aFailedRunStopsWritingAndFreesItsBatches() {
        StreamGraph graph = StreamGraph.builder()
                .task("parse", in -> {
                    if (in.batchId() == 2) {
                        throw new IllegalStateException("corrupt input");
                    }
                    return in.table();
                }).source("parse")
                .build();
        StreamFailedException e = assertThrows(StreamFailedException.class,
                () -> executor.writeTo(graph, batches(10, 10), dir, true));
        assertEquals("task 'parse' failed on batch 2: corrupt input", e.getMessage());
    }
}
