package dev.weir.stores.postgres;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.ipc.ArrowReader;
import org.apache.arrow.vector.types.pojo.Schema;
import org.postgresql.PGConnection;
import org.postgresql.copy.CopyOut;

/**
 * A query's rows as Arrow batches of at most {@code batchRows} rows, sent by the server as
 * {@code COPY (query) TO STDOUT (FORMAT binary)} and decoded straight into the vectors: the server
 * streams without waiting for fetches, and the client makes no Java object per value.
 *
 * <p>The columns' types come first from the same query with {@code LIMIT 0}, in the same transaction;
 * a query with a column type the binary decoder does not know ({@link CopyOutColumns#DECODED}) is read by
 * cursor instead ({@link PgArrowReader}), on the same connection.
 *
 * <p>Owns its connection and closes it in {@link #close()}; closing before the end cancels the COPY and
 * evicts the connection from the pool.
 * Its vectors come from the caller's allocator and are freed by {@code close()} as well.
 */
final class PgCopyReader extends PgBatchReader {

    private final PgPool pool;
    private final Connection connection;
    private final CopyOut copy;
    private final CopyOutRows rows;
    private CopyOutColumns.Decoder[] decoders;

    private PgCopyReader(BufferAllocator allocator, PgPool pool, Object store, String sql, Connection connection,
                         CopyOut copy, Schema schema, List<String> pgTypes, int batchRows) {
        super(allocator, store, sql, schema, pgTypes, batchRows);
        this.pool = pool;
        this.connection = connection;
        this.copy = copy;
        this.rows = new CopyOutRows(copy);
    }

    /**
     * Runs {@code select} on a connection of {@code pool} and returns its rows as a reader that owns the
     * connection: by binary COPY when every column type can be decoded, by cursor otherwise. On failure
     * nothing stays open.
     *
     * @param select a query that can stand in {@code COPY (…) TO} and in a subquery: a plain
     *               {@code SELECT}
     */
    static ArrowReader open(PgPool pool, Object store, String select, BufferAllocator allocator, int batchRows) {
        Connection connection = pool.connection();
        String current = select;
        try {
            connection.setAutoCommit(false);
            List<String> pgTypes;
            Schema schema;
            current = "SELECT * FROM (" + select + ") AS q LIMIT 0";
            try (Statement statement = connection.createStatement();
                 ResultSet described = statement.executeQuery(current)) {
                pgTypes = ResultSetColumns.pgTypes(described);
                schema = ResultSetColumns.schema(described.getMetaData(), pgTypes);
            }
            if (!CopyOutColumns.DECODED.containsAll(pgTypes)) {
                return PgArrowReader.openOn(connection, store, select, allocator, batchRows);
            }
            current = "COPY (" + select + ") TO STDOUT (FORMAT binary)";
            CopyOut copy = connection.unwrap(PGConnection.class).getCopyAPI().copyOut(current);
            PgCopyReader reader = new PgCopyReader(allocator, pool, store, current, connection, copy, schema, pgTypes,
                    batchRows);
            reader.rows.header();
            return reader;
        } catch (SQLException | RuntimeException e) {
            PgArrowReader.closeQuietly(null, connection, e);
            throw PgErrors.failure(store, "cannot read", current, e);
        }
    }

    @Override
    int fill(List<FieldVector> vectors, Row row) throws SQLException {
        if (decoders == null) {
            decoders = new CopyOutColumns.Decoder[vectors.size()];
            for (int c = 0; c < decoders.length; c++) {
                decoders[c] = CopyOutColumns.decoder(vectors.get(c), pgTypes.get(c));
            }
        }
        while (row.index < batchRows) {
            short fields = rows.nextRow();
            if (fields == -1) {
                if (!rows.finished()) {
                    throw new SQLException("the server sent data after the COPY trailer");
                }
                break;
            }
            if (fields != decoders.length) {
                throw new SQLException("a COPY row has " + fields + " fields, the query " + decoders.length);
            }
            for (int c = 0; c < decoders.length; c++) {
                int length = rows.readInt();
                if (length == -1) {
                    vectors.get(c).setNull(row.index);
                } else {
                    decoders[c].read(rows, length, row.index);
                }
            }
            row.index++;
        }
        return row.index;
    }

    @Override
    protected void closeReadSource() {
        if (!copy.isActive()) {
            PgArrowReader.closeQuietly(null, connection, null);
            return;
        }
        // Closed before the end (or after a failure mid-stream): stop the server, and do not trust the
        // connection's protocol state afterwards — it leaves the pool for good.
        try {
            copy.cancelCopy();
        } catch (SQLException | RuntimeException expected) {
            // The server ends a cancelled COPY with an error: that is the point.
        } finally {
            pool.discard(connection);
        }
    }
}
