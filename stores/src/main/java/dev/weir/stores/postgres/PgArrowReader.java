package dev.weir.stores.postgres;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.List;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.ipc.ArrowReader;
import org.apache.arrow.vector.types.pojo.Schema;
import org.postgresql.PGStatement;

/**
 * A query result as Arrow batches of at most {@code batchRows} rows. The server sends rows through a
 * cursor ({@code autocommit} off, fetch size = batch size), so memory follows the batch, not the
 * result.
 *
 * <p>Owns its connection, statement and result set, and closes them in {@link #close()} — the caller
 * must close the reader (the engine does so on the thread that read it). Its vectors come from the
 * caller's allocator and are freed by {@code close()} as well.
 */
final class PgArrowReader extends ArrowReader {

    private final Object store;
    private final String sql;
    private final Connection connection;
    private final PreparedStatement statement;
    private final ResultSet resultSet;
    private final Schema schema;
    private final List<String> pgTypes;
    private final int batchRows;
    private ResultSetColumns.Filler[] fillers;
    private boolean exhausted;
    private long bytesRead;

    private PgArrowReader(BufferAllocator allocator, Object store, String sql, Connection connection,
                          PreparedStatement statement, ResultSet resultSet, int batchRows) throws SQLException {
        super(allocator);
        this.store = store;
        this.sql = sql;
        this.connection = connection;
        this.statement = statement;
        this.resultSet = resultSet;
        this.batchRows = batchRows;
        this.pgTypes = ResultSetColumns.pgTypes(resultSet);
        this.schema = ResultSetColumns.schema(resultSet.getMetaData(), pgTypes);
    }

    /**
     * Runs {@code sql} on a connection of {@code pool} and returns its result as a reader that owns
     * the connection. On failure nothing stays open.
     */
    static PgArrowReader open(PgPool pool, Object store, String sql, BufferAllocator allocator, int batchRows) {
        Connection connection = pool.connection();
        PreparedStatement statement = null;
        try {
            connection.setAutoCommit(false);
            statement = connection.prepareStatement(sql, ResultSet.TYPE_FORWARD_ONLY, ResultSet.CONCUR_READ_ONLY);
            statement.setFetchSize(batchRows);
            // Ask for binary results on the first execution: numbers, dates and timestamps then arrive
            // without text parsing (pgjdbc otherwise switches to binary only after five executions).
            statement.unwrap(PGStatement.class).setPrepareThreshold(-1);
            ResultSet resultSet = statement.executeQuery();
            return new PgArrowReader(allocator, store, sql, connection, statement, resultSet, batchRows);
        } catch (SQLException | RuntimeException e) {
            closeQuietly(statement, connection, e);
            throw PgErrors.failure(store, "cannot read", sql, e);
        }
    }

    @Override
    protected Schema readSchema() {
        return schema;
    }

    @Override
    public boolean loadNextBatch() throws java.io.IOException {
        prepareLoadNextBatch();
        if (exhausted) {
            return false;
        }
        VectorSchemaRoot root = getVectorSchemaRoot();
        List<FieldVector> vectors = root.getFieldVectors();
        if (fillers == null) {
            fillers = new ResultSetColumns.Filler[vectors.size()];
            for (int c = 0; c < fillers.length; c++) {
                fillers[c] = ResultSetColumns.filler(vectors.get(c), pgTypes.get(c));
            }
        }
        for (FieldVector vector : vectors) {
            vector.setInitialCapacity(batchRows);
            vector.allocateNew();
        }
        int row = 0;
        int column = -1;
        try {
            while (row < batchRows && resultSet.next()) {
                for (column = 0; column < fillers.length; column++) {
                    fillers[column].fill(resultSet, column + 1, row);
                }
                column = -1;
                row++;
            }
        } catch (SQLException e) {
            String where = column < 0 ? "" : "column '" + vectors.get(column).getName() + "' of ";
            throw PgErrors.failure(store, "cannot read " + where + "row " + row + " of a batch", sql, e);
        }
        if (row < batchRows) {
            exhausted = true;
        }
        for (FieldVector vector : vectors) {
            vector.setValueCount(row);
            bytesRead += vector.getBufferSize();
        }
        root.setRowCount(row);
        return row > 0;
    }

    /** An estimate: the size of the Arrow buffers filled so far. */
    @Override
    public long bytesRead() {
        return bytesRead;
    }

    @Override
    protected void closeReadSource() {
        SQLException failure = null;
        try {
            resultSet.close();
        } catch (SQLException e) {
            failure = e;
        }
        closeQuietly(statement, connection, failure);
        if (failure != null) {
            throw PgErrors.failure(store, "cannot close a result", sql, failure);
        }
    }

    /** Ends the read-only transaction and returns the connection to the pool. */
    private static void closeQuietly(PreparedStatement statement, Connection connection, Throwable failure) {
        try {
            if (statement != null) {
                statement.close();
            }
        } catch (SQLException e) {
            addSuppressed(failure, e);
        }
        endReadOnly(connection, true, failure);
    }

    /**
     * Ends a reader's read-only transaction ({@code rollback}: when false, the connection is being taken
     * out of the pool and is not asked) and returns the connection; what fails is added to {@code failure}.
     */
    static void endReadOnly(Connection connection, boolean rollback, Throwable failure) {
        if (rollback) {
            try {
                connection.rollback();
            } catch (SQLException e) {
                addSuppressed(failure, e);
            }
        }
        try {
            connection.close();
        } catch (SQLException e) {
            addSuppressed(failure, e);
        }
    }

    static void addSuppressed(Throwable failure, Throwable e) {
        if (failure != null && failure != e) {
            failure.addSuppressed(e);
        }
    }
}
