package dev.weir.stores.postgres;

import java.io.IOException;
import java.io.InputStream;
import java.math.BigDecimal;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.List;
import java.util.Set;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.BitVector;
import org.apache.arrow.vector.DateDayVector;
import org.apache.arrow.vector.Decimal256Vector;
import org.apache.arrow.vector.DecimalVector;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.Float4Vector;
import org.apache.arrow.vector.Float8Vector;
import org.apache.arrow.vector.IntVector;
import org.apache.arrow.vector.SmallIntVector;
import org.apache.arrow.vector.TimeStampMicroTZVector;
import org.apache.arrow.vector.TimeStampMicroVector;
import org.apache.arrow.vector.VarBinaryVector;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.ipc.ArrowReader;
import org.apache.arrow.vector.types.pojo.Schema;
import org.postgresql.PGConnection;
import org.postgresql.PGStatement;
import org.postgresql.copy.CopyOut;
import org.postgresql.copy.PGCopyInputStream;

/**
 * A query result as Arrow batches, read with {@code COPY (query) TO STDOUT (FORMAT binary)}: the server
 * streams its binary tuple format and each field is decoded straight into its vector, without a JDBC
 * row of per-value byte arrays and getters in between (the mirror of {@link PgCopyWriter}). The result's
 * columns and their types come from describing the query first, on the same connection, and follow
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

    private static final byte[] SIGNATURE = {'P', 'G', 'C', 'O', 'P', 'Y', '\n', (byte) 0xFF, '\r', '\n', 0};
    /** Days and microseconds from 1970-01-01 to PostgreSQL's epoch, 2000-01-01. */
    private static final int PG_EPOCH_DAYS = 10_957;
    private static final long PG_EPOCH_MICROS = 946_684_800_000_000L;

    /** Decodes one non-null field of {@code length} bytes at the reader's position into row {@code row}. */
    private interface Decoder {
        void decode(int length, int row) throws IOException;
    }

    private final PgPool pool;
    private final Object store;
    private final String sql;
    private final Connection connection;
    private final CopyOut copy;
    private final Schema schema;
    private final List<String> pgTypes;
    private final int batchRows;
    private final InputStream in;
    private byte[] buf = new byte[1 << 16];
    private int pos;
    private int limit;
    private Decoder[] decoders;
    private FieldVector[] vectors;
    private boolean headerRead;
    private boolean exhausted;
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
        this.in = new PGCopyInputStream(copy);
    }

    /**
     * Runs {@code sql} on a connection of {@code pool} and returns its result as a reader that owns the
     * connection: this one when every column's type is {@link #DECODED}, else a {@link PgArrowReader}. On
     * failure nothing stays open.
     */
    static ArrowReader open(PgPool pool, Object store, String sql, BufferAllocator allocator, int batchRows) {
        Connection connection = pool.connection();
        CopyOut copy = null;
        try {
            connection.setAutoCommit(false);
            List<String> pgTypes;
            Schema schema;
            // The result's columns and types, from an empty result of the same query (one round trip).
            try (PreparedStatement describe = connection.prepareStatement(
                    "SELECT * FROM (" + sql + ") AS weir_described LIMIT 0")) {
                describe.unwrap(PGStatement.class).setPrepareThreshold(-1);
                try (ResultSet empty = describe.executeQuery()) {
                    pgTypes = ResultSetColumns.pgTypes(empty);
                    schema = ResultSetColumns.schema(empty.getMetaData(), pgTypes);
                }
            }
            if (!DECODED.containsAll(pgTypes)) {
                connection.rollback();
                connection.close();
                return PgArrowReader.open(pool, store, sql, allocator, batchRows);
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
        if (exhausted) {
            return false;
        }
        VectorSchemaRoot root = getVectorSchemaRoot();
        if (decoders == null) {
            List<FieldVector> all = root.getFieldVectors();
            vectors = all.toArray(new FieldVector[0]);
            decoders = new Decoder[vectors.length];
            for (int c = 0; c < vectors.length; c++) {
                decoders[c] = decoder(vectors[c]);
            }
        }
        for (FieldVector vector : vectors) {
            vector.setInitialCapacity(batchRows);
            vector.allocateNew();
        }
        int row = 0;
        int column = -1;
        try {
            if (!headerRead) {
                readHeader();
                headerRead = true;
            }
            while (row < batchRows) {
                ensure(2);
                int fields = getShort();
                if (fields == -1) {
                    exhausted = true;
                    // Read to the end of the COPY (its completion), so that the connection goes back to the pool.
                    pos = limit;
                    while (in.read(buf, 0, buf.length) >= 0) {
                        // nothing follows the trailer but the end of the stream
                    }
                    break;
                }
                if (fields != vectors.length) {
                    throw new IOException("a row of " + fields + " fields where the result has " + vectors.length
                            + " columns");
                }
                for (column = 0; column < vectors.length; column++) {
                    ensure(4);
                    int length = getInt();
                    if (length < 0) {
                        vectors[column].setNull(row);
                    } else {
                        ensure(length);
                        int end = pos + length;
                        decoders[column].decode(length, row);
                        pos = end;
                    }
                }
                column = -1;
                row++;
            }
        } catch (IOException | RuntimeException e) {
            String where = column < 0 ? "" : "column '" + vectors[column].getName() + "' of ";
            if (e instanceof dev.weir.engine.store.StoreException se) {
                throw se;
            }
            throw PgErrors.failure(store, "cannot read " + where + "row " + row + " of a batch", sql, e);
        }
        for (FieldVector vector : vectors) {
            vector.setValueCount(row);
            bytesRead += vector.getBufferSize();
        }
        root.setRowCount(row);
        return row > 0;
    }

    private void readHeader() throws IOException {
        ensure(SIGNATURE.length + 8);
        for (byte b : SIGNATURE) {
            if (buf[pos++] != b) {
                throw new IOException("the COPY stream does not start with PostgreSQL's binary signature");
            }
        }
        getInt(); // flags: no OIDs asked for
        int extension = getInt();
        ensure(extension);
        pos += extension;
    }

    private Decoder decoder(FieldVector vector) {
        if (vector instanceof SmallIntVector v) {
            return (length, row) -> v.setSafe(row, (short) getShort());
        } else if (vector instanceof IntVector v) {
            return (length, row) -> v.setSafe(row, getInt());
        } else if (vector instanceof BigIntVector v) {
            return (length, row) -> v.setSafe(row, getLong());
        } else if (vector instanceof Float4Vector v) {
            return (length, row) -> v.setSafe(row, Float.intBitsToFloat(getInt()));
        } else if (vector instanceof Float8Vector v) {
            return (length, row) -> v.setSafe(row, Double.longBitsToDouble(getLong()));
        } else if (vector instanceof BitVector v) {
            return (length, row) -> v.setSafe(row, buf[pos] != 0 ? 1 : 0);
        } else if (vector instanceof DateDayVector v) {
            return (length, row) -> {
                int days = getInt();
                if (days == Integer.MAX_VALUE || days == Integer.MIN_VALUE) {
                    throw ResultSetColumns.infinite(v, "date");
                }
                v.setSafe(row, days + PG_EPOCH_DAYS);
            };
        } else if (vector instanceof TimeStampMicroTZVector v) {
            return (length, row) -> v.setSafe(row, timestamp(v, "timestamptz"));
        } else if (vector instanceof TimeStampMicroVector v) {
            return (length, row) -> v.setSafe(row, timestamp(v, "timestamp"));
        } else if (vector instanceof DecimalVector v) {
            return (length, row) -> v.setSafe(row, ResultSetColumns.fit(numeric(v), v.getScale(), v.getPrecision(), v));
        } else if (vector instanceof Decimal256Vector v) {
            return (length, row) -> v.setSafe(row, ResultSetColumns.fit(numeric(v), v.getScale(), v.getPrecision(), v));
        } else if (vector instanceof VarCharVector v) {
            return (length, row) -> v.setSafe(row, buf, pos, length);
        } else if (vector instanceof VarBinaryVector v) {
            return (length, row) -> v.setSafe(row, buf, pos, length);
        }
        throw new IllegalStateException("no COPY decoder for " + vector.getField());
    }

    private long timestamp(FieldVector vector, String pgType) {
        long micros = getLong();
        if (micros == Long.MAX_VALUE || micros == Long.MIN_VALUE) {
            throw ResultSetColumns.infinite(vector, pgType);
        }
        return Math.addExact(micros, PG_EPOCH_MICROS);
    }

    private BigDecimal numeric(FieldVector vector) {
        int ndigits = getShort();
        int weight = (short) getShort();
        int sign = getShort() & 0xFFFF;
        int dscale = getShort();
        int digits = pos;
        try {
            return PgNumeric.decode(ndigits, weight, sign, dscale, i -> (short) (((buf[digits + 2 * i] & 0xFF) << 8)
                    | (buf[digits + 2 * i + 1] & 0xFF)));
        } catch (ArithmeticException e) {
            throw dev.weir.engine.store.StoreException.of("column '" + vector.getName() + "' holds the numeric "
                    + e.getMessage() + ", which Arrow's decimal cannot represent; replace it in SQL before reading");
        }
    }

    /** Makes {@code n} bytes from the position on available in the buffer. */
    private void ensure(int n) throws IOException {
        if (limit - pos >= n) {
            return;
        }
        if (n > buf.length) {
            byte[] larger = new byte[Math.max(n, buf.length * 2)];
            System.arraycopy(buf, pos, larger, 0, limit - pos);
            buf = larger;
        } else {
            System.arraycopy(buf, pos, buf, 0, limit - pos);
        }
        limit -= pos;
        pos = 0;
        while (limit < n) {
            int read = in.read(buf, limit, buf.length - limit);
            if (read < 0) {
                throw new IOException("the COPY stream ended in the middle of a row");
            }
            limit += read;
        }
    }

    private int getShort() {
        int v = (short) (((buf[pos] & 0xFF) << 8) | (buf[pos + 1] & 0xFF));
        pos += 2;
        return v;
    }

    private int getInt() {
        int v = ((buf[pos] & 0xFF) << 24) | ((buf[pos + 1] & 0xFF) << 16) | ((buf[pos + 2] & 0xFF) << 8)
                | (buf[pos + 3] & 0xFF);
        pos += 4;
        return v;
    }

    private long getLong() {
        long hi = getInt() & 0xFFFFFFFFL;
        long lo = getInt() & 0xFFFFFFFFL;
        return (hi << 32) | lo;
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
    private static void end(PgPool pool, CopyOut copy, Connection connection, Throwable failure) {
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
