package dev.weir.stores.postgres;

import java.io.IOException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.Set;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.ipc.ArrowReader;
import org.apache.arrow.vector.types.pojo.Schema;
import org.postgresql.PGConnection;
import org.postgresql.copy.CopyOut;
import org.postgresql.copy.PGCopyInputStream;

/**
 * A query result as Arrow batches, read with {@code COPY (query) TO STDOUT (FORMAT binary)}: the server
 * streams its binary tuple format and {@link PgCopyDecoder} decodes each field straight into its vector,
 * without a JDBC row of per-value byte arrays and getters in between (the mirror of {@link PgCopyWriter}).
 * The result's columns and their types come from describing the query first, on the same connection, and follow
 * {@link ResultSetColumns}; a result with a type this reader does not decode (json, uuid, arrays, …) is
 * read by {@link PgArrowReader} instead ({@link #open} decides).
 *
 * <p>Owns its connection and the COPY, and ends both in {@link #close()}, cancelling a COPY not read to
 * its end. Its vectors come from the caller's allocator.
 */
final class PgCopyReader extends ArrowReader {

    /** The types whose binary format this reader decodes. */
    static final Set<String> DECODED = Set.of("int2", "int4", "int8", "float4", "float8", "numeric", "bool", "bytea",
            "date", "timestamp", "timestamptz", "text", "varchar", "bpchar", "name");

    private final PgPool pool;
    private final Object store;
    private final String sql;
    private final Connection connection;
    private final CopyOut copy;
    private final Schema schema;
    private final List<String> pgTypes;
    private final int batchRows;
    private final PgCopyDecoder decoder;
    private FieldVector[] vectors;
    private long bytesRead;

    private PgCopyReader(BufferAllocator allocator, PgPool pool, Object store, String sql, Connection connection,
                         CopyOut copy, Schema schema, List<String> pgTypes, int batchRows) {
        super(allocator);
        this.pool = pool;
        this.store = store;
        this.sql = sql;
        this.connection = connection;
        this.copy = copy;
        this.schema = schema;
        this.pgTypes = pgTypes;
        this.batchRows = batchRows;
        this.decoder = new PgCopyDecoder(new PGCopyInputStream(copy));
    }

    /**
     * A stored table to read: {@code SELECT columns FROM name [WHERE (where)]}, and how widely to read it.
     *
     * @param columns     the select list, quoted
     * @param location    the table
     * @param name        its quoted, qualified name
     * @param where       a predicate, or null
     * @param connections the most connections to read it with at once (1: one)
     * @param rangePages  the pages of the table each connection's COPY reads at a time; tables of fewer
     *                    than two ranges are read on one connection
     */
    record TableRead(String columns, dev.weir.engine.store.TableLocation location, String name, String where,
                     int connections, int rangePages) {

        String sql() {
            return "SELECT " + columns + " FROM " + name + (where == null ? "" : " WHERE (" + where + ")");
        }

        /** The query of the pages from {@code first} up to {@code end} (exclusive; -1: to the end). */
        String rangeSql(long first, long end) {
            String range = (first == 0 ? "" : "ctid >= '(" + first + ",0)'::tid")
                    + (first == 0 || end < 0 ? "" : " AND ")
                    + (end < 0 ? "" : "ctid < '(" + end + ",0)'::tid");
            return "SELECT " + columns + " FROM " + name + " WHERE " + (where == null ? "" : "(" + where + ") AND ")
                    + range;
        }
    }

    /** The table's oid, kind and size in pages, in the describing transaction's snapshot. */
    private static final String RELATION = "SELECT c.oid, c.relkind::text,"
            + " pg_catalog.pg_relation_size(c.oid) / pg_catalog.current_setting('block_size')::bigint"
            + " FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace"
            + " WHERE n.nspname = ? AND c.relname = ?";

    /**
     * Reads a stored table on a connection of {@code pool}, returning a reader that owns the connection:
     * this one when every column's type is {@link #DECODED}, else a {@link PgArrowReader}; a table of at
     * least two ranges on a server that scans by TID ranges (PostgreSQL 14) is read by several connections
     * at once ({@link PgParallelCopyReader}), each range in one snapshot. On failure nothing stays open.
     */
    static ArrowReader open(PgPool pool, Object store, TableRead table, BufferAllocator allocator, int batchRows) {
        String sql = table.sql();
        Connection connection = pool.connection();
        CopyOut copy = null;
        try {
            connection.setAutoCommit(false);
            List<String> pgTypes;
            Schema schema;
            long oid = 0;
            long pages = 0;
            boolean plainTable = false;
            // One round trip: the transaction's isolation (one snapshot for every statement of the read, which
            // other connections can share), the result's columns and types from an empty result of the same
            // query, and, for a table, its size.
            String describeSql = "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ;\n"
                    + "SELECT * FROM (" + sql + ") AS weir_described LIMIT 0;\n" + RELATION;
            try (PreparedStatement describe = connection.prepareStatement(describeSql)) {
                describe.setString(1, table.location().schema());
                describe.setString(2, table.location().table());
                describe.execute();
                describe.getMoreResults();
                try (ResultSet empty = describe.getResultSet()) {
                    pgTypes = ResultSetColumns.pgTypes(empty);
                    schema = ResultSetColumns.schema(empty.getMetaData(), pgTypes);
                }
                if (describe.getMoreResults()) {
                    try (ResultSet relation = describe.getResultSet()) {
                        if (relation.next()) {
                            oid = relation.getLong(1);
                            plainTable = "r".equals(relation.getString(2));
                            pages = relation.getLong(3);
                        }
                    }
                }
            }
            if (!DECODED.containsAll(pgTypes)) {
                connection.rollback();
                connection.close();
                return PgArrowReader.open(pool, store, sql, allocator, batchRows);
            }
            if (plainTable && table.connections() > 1 && pages >= 2L * table.rangePages()
                    && connection.getMetaData().getDatabaseMajorVersion() >= 14) {
                String snapshot;
                try (Statement export = connection.createStatement();
                     ResultSet rs = export.executeQuery("SELECT pg_catalog.pg_export_snapshot()")) {
                    rs.next();
                    snapshot = rs.getString(1);
                }
                return new PgParallelCopyReader(allocator, pool, store, table, connection, snapshot, oid, pages,
                        schema, batchRows);
            }
            copy = connection.unwrap(PGConnection.class).getCopyAPI()
                    .copyOut("COPY (" + sql + ") TO STDOUT (FORMAT binary)");
            return new PgCopyReader(allocator, pool, store, sql, connection, copy, schema, pgTypes, batchRows);
        } catch (SQLException | RuntimeException e) {
            end(pool, copy, connection, e);
            throw PgErrors.failure(store, "cannot read", sql, e);
        }
    }

    @Override
    protected Schema readSchema() {
        return schema;
    }

    @Override
    public boolean loadNextBatch() throws IOException {
        prepareLoadNextBatch();
        VectorSchemaRoot root = getVectorSchemaRoot();
        if (vectors == null) {
            vectors = root.getFieldVectors().toArray(new FieldVector[0]);
        }
        int rows;
        try {
            rows = decoder.decode(vectors, batchRows);
        } catch (IOException | RuntimeException e) {
            throw PgErrors.failure(store, "cannot read " + decoder.position(vectors), sql, e);
        }
        for (FieldVector vector : vectors) {
            bytesRead += vector.getBufferSize();
        }
        root.setRowCount(rows);
        return rows > 0;
    }

    /** An estimate: the size of the Arrow buffers filled so far. */
    @Override
    public long bytesRead() {
        return bytesRead;
    }

    @Override
    protected void closeReadSource() {
        end(pool, copy, connection, null);
    }

    /**
     * Ends the read-only transaction and returns the connection; a COPY not read to its end instead takes
     * its connection out of the pool, closed: the server is still sending, and cancelling a COPY leaves
     * pgjdbc's connection out of step with the server for its next user.
     */
    static void end(PgPool pool, CopyOut copy, Connection connection, Throwable failure) {
        boolean midCopy = copy != null && copy.isActive();
        if (midCopy) {
            // Hikari's close would roll back, which waits for the COPY forever: end the connection itself first.
            pool.evict(connection);
            try {
                connection.unwrap(org.postgresql.core.BaseConnection.class).abort(Runnable::run);
            } catch (SQLException e) {
                PgArrowReader.addSuppressed(failure, e);
            }
        }
        PgArrowReader.endReadOnly(connection, !midCopy, failure);
    }
}
