package dev.weir.stores.parquet;

import dev.weir.engine.data.ArrowTable;
import dev.weir.engine.stream.ParquetWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import org.apache.arrow.c.ArrowArrayStream;
import org.apache.arrow.c.Data;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.ipc.ArrowReader;
import org.duckdb.DuckDBConnection;

/**
 * Writes Arrow tables as Parquet files through an in-memory DuckDB: the table is handed over as an
 * Arrow C stream ({@code registerArrowStream}, no copy row by row) and written by
 * {@code COPY (SELECT * FROM stream) TO 'file' (FORMAT parquet)}. Found by {@link java.util.ServiceLoader}
 * as the engine's {@link ParquetWriter}. One DuckDB connection per writer, opened on the first write.
 */
public final class DuckDbParquetWriter implements ParquetWriter {

    private DuckDBConnection connection;
    private long streams;

    @Override
    public void write(ArrowTable table, Path file) {
        BufferAllocator allocator = allocatorOf(table, file);
        try {
            Path parent = file.toAbsolutePath().getParent();
            if (parent != null) {
                Files.createDirectories(parent);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create the directory of " + file + ": " + e.getMessage(), e);
        }
        String streamName = "weir_parquet_" + ++streams;
        String sql = "COPY (SELECT * FROM " + streamName + ") TO '" + file.toAbsolutePath().toString().replace("'", "''")
                + "' (FORMAT parquet)";
        DuckDBConnection duckdb = connection();
        // The exported stream owns the reader from here on and closes it when DuckDB releases the stream.
        ArrowReader reader = table.reader(allocator);
        try (ArrowArrayStream stream = ArrowArrayStream.allocateNew(allocator)) {
            Data.exportArrayStream(allocator, reader, stream);
            duckdb.registerArrowStream(streamName, stream);
            try (Statement statement = duckdb.createStatement()) {
                statement.execute(sql);
            } finally {
                dropStream(duckdb, streamName);
            }
        } catch (SQLException e) {
            throw new IllegalStateException("DuckDB could not write " + file + " (" + table.rowCount() + " rows): "
                    + e.getMessage() + "; SQL: " + sql, e);
        }
    }

    /** The stream's structures must come from the root allocator of the table's buffers. */
    private static BufferAllocator allocatorOf(ArrowTable table, Path file) {
        List<FieldVector> vectors = table.batches().isEmpty() ? List.of() : table.batches().get(0).getFieldVectors();
        if (vectors.isEmpty()) {
            throw new IllegalArgumentException("cannot write " + file + ": the table has no batch or no column ("
                    + table.schema() + ")");
        }
        return vectors.get(0).getAllocator();
    }

    private DuckDBConnection connection() {
        if (connection == null) {
            try {
                connection = DriverManager.getConnection("jdbc:duckdb:").unwrap(DuckDBConnection.class);
            } catch (SQLException e) {
                throw new IllegalStateException("cannot open an in-memory DuckDB to write Parquet: " + e.getMessage(), e);
            }
        }
        return connection;
    }

    private static void dropStream(DuckDBConnection connection, String streamName) {
        try (Statement statement = connection.createStatement()) {
            statement.execute("DROP VIEW IF EXISTS " + streamName);
        } catch (SQLException ignored) {
            // A registered stream is a temporary view of this connection; it goes when the connection does.
        }
    }

    @Override
    public void close() {
        if (connection != null) {
            try {
                connection.close();
            } catch (SQLException ignored) {
                // An in-memory database: nothing is lost if closing it fails.
            } finally {
                connection = null;
            }
        }
    }
}
