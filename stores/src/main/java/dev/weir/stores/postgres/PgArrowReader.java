package dev.weir.stores.postgres;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.List;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.FieldVector;
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
final class PgArrowReader extends PgBatchReader {

    private final Connection connection;
    private final PreparedStatement statement;
    private final ResultSet resultSet;
    private ResultSetColumns.Filler[] fillers;

    private PgArrowReader(BufferAllocator allocator, Object store, String sql, Connection connection,
                          PreparedStatement statement, ResultSet resultSet, List<String> pgTypes, int batchRows)
            throws SQLException {
        super(allocator, store, sql, ResultSetColumns.schema(resultSet.getMetaData(), pgTypes), pgTypes, batchRows);
        this.connection = connection;
        this.statement = statement;
        this.resultSet = resultSet;
    }

    /**
     * Runs {@code sql} on a connection of {@code pool} and returns its result as a reader that owns
     * the connection. On failure nothing stays open.
     */
    static PgArrowReader open(PgPool pool, Object store, String sql, BufferAllocator allocator, int batchRows) {
        Connection connection = pool.connection();
        try {
            connection.setAutoCommit(false);
        } catch (SQLException | RuntimeException e) {
            closeQuietly(null, connection, e);
            throw PgErrors.failure(store, "cannot read", sql, e);
        }
        return openOn(connection, store, sql, allocator, batchRows);
    }

    /**
     * Runs {@code sql} on {@code connection}, which has autocommit off, and returns its result as a reader
     * that owns the connection. On failure the connection is rolled back and closed.
     */
    static PgArrowReader openOn(Connection connection, Object store, String sql, BufferAllocator allocator,
                                int batchRows) {
        PreparedStatement statement = null;
        try {
            statement = connection.prepareStatement(sql, ResultSet.TYPE_FORWARD_ONLY, ResultSet.CONCUR_READ_ONLY);
            statement.setFetchSize(batchRows);
            // Ask for binary results on the first execution: numbers, dates and timestamps then arrive
            // without text parsing (pgjdbc otherwise switches to binary only after five executions).
            statement.unwrap(PGStatement.class).setPrepareThreshold(-1);
            ResultSet resultSet = statement.executeQuery();
            return new PgArrowReader(allocator, store, sql, connection, statement, resultSet,
                    ResultSetColumns.pgTypes(resultSet), batchRows);
        } catch (SQLException | RuntimeException e) {
            closeQuietly(statement, connection, e);
            throw PgErrors.failure(store, "cannot read", sql, e);
        }
    }

    @Override
    int fill(List<FieldVector> vectors, Row row) throws SQLException {
        if (fillers == null) {
            fillers = new ResultSetColumns.Filler[vectors.size()];
            for (int c = 0; c < fillers.length; c++) {
                fillers[c] = ResultSetColumns.filler(vectors.get(c), pgTypes.get(c));
            }
        }
        while (row.index < batchRows && resultSet.next()) {
            for (int c = 0; c < fillers.length; c++) {
                fillers[c].fill(resultSet, c + 1, row.index);
            }
            row.index++;
        }
        return row.index;
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
    static void closeQuietly(PreparedStatement statement, Connection connection, Throwable failure) {
        try {
            if (statement != null) {
                statement.close();
            }
        } catch (SQLException e) {
            addSuppressed(failure, e);
        }
        try {
            connection.rollback();
        } catch (SQLException e) {
            addSuppressed(failure, e);
        }
        try {
            connection.close();
        } catch (SQLException e) {
            addSuppressed(failure, e);
        }
    }

    private static void addSuppressed(Throwable failure, Throwable e) {
        if (failure != null && failure != e) {
            failure.addSuppressed(e);
        }
    }
}
