package dev.weir.stores.parquet;

import dev.weir.engine.data.ArrowTable;
import dev.weir.engine.stream.ParquetReader;
import java.nio.file.Path;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.ipc.ArrowReader;
import org.duckdb.DuckDBConnection;
import org.duckdb.DuckDBResultSet;

/**
 * Reads Parquet files through an in-memory DuckDB ({@code read_parquet}, exported as an Arrow stream).
 * Found by {@link java.util.ServiceLoader} as the engine's {@link ParquetReader}. One in-memory database
 * per reader, opened on the first call; each call works on its own duplicate connection, so calls may
 * run in parallel.
 */
public final class DuckDbParquetReader implements ParquetReader {

    private static final int BATCH_ROWS = 65_536;

    private DuckDBConnection root;

    @Override
    public ArrowTable read(Path file, BufferAllocator allocator) {
        String sql = "SELECT * FROM read_parquet(?)";
        try (DuckDBConnection connection = root().duplicate();
             PreparedStatement statement = connection.prepareStatement(sql)) {
            statement.setString(1, file.toAbsolutePath().toString());
            try (DuckDBResultSet rows = statement.executeQuery().unwrap(DuckDBResultSet.class);
                 ArrowReader reader = (ArrowReader) rows.arrowExportStream(allocator, BATCH_ROWS)) {
                return ArrowTable.readAll(reader, allocator);
            }
        } catch (SQLException | java.io.IOException e) {
            throw new IllegalStateException("DuckDB could not read the Parquet file " + file + ": " + e.getMessage(), e);
        }
    }

    @Override
    public long rowCount(Path file) {
        String sql = "SELECT count(*) FROM read_parquet(?)";
        try (DuckDBConnection connection = root().duplicate();
             PreparedStatement statement = connection.prepareStatement(sql)) {
            statement.setString(1, file.toAbsolutePath().toString());
            try (ResultSet rows = statement.executeQuery()) {
                rows.next();
                return rows.getLong(1);
            }
        } catch (SQLException e) {
            throw new IllegalStateException("DuckDB could not read the Parquet file " + file + ": " + e.getMessage(), e);
        }
    }

    private synchronized DuckDBConnection root() {
        if (root == null) {
            try {
                root = DriverManager.getConnection("jdbc:duckdb:").unwrap(DuckDBConnection.class);
            } catch (SQLException e) {
                throw new IllegalStateException("cannot open an in-memory DuckDB to read Parquet: " + e.getMessage(), e);
            }
        }
        return root;
    }

    @Override
    public synchronized void close() {
        if (root != null) {
            try {
                root.close();
            } catch (SQLException ignored) {
                // An in-memory database: nothing is lost if closing it fails.
            } finally {
                root = null;
            }
        }
    }
}
