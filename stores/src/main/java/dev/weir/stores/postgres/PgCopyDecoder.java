package dev.weir.stores.postgres;

import java.io.IOException;
import java.io.InputStream;
import java.math.BigDecimal;
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

/**
 * Decodes one {@code COPY ... TO STDOUT (FORMAT binary)} stream into Arrow vectors, batch by batch: each
 * field straight into its vector, without a JDBC row of per-value byte arrays and getters in between.
 * The vectors' types follow {@link ResultSetColumns}; {@link PgCopyReader#DECODED} lists the server types
 * whose binary format it knows. Not thread-safe: one stream, one thread at a time.
 */
final class PgCopyDecoder {

    private static final byte[] SIGNATURE = {'P', 'G', 'C', 'O', 'P', 'Y', '\n', (byte) 0xFF, '\r', '\n', 0};
    /** Days and microseconds from 1970-01-01 to PostgreSQL's epoch, 2000-01-01. */
    private static final int PG_EPOCH_DAYS = 10_957;
    private static final long PG_EPOCH_MICROS = 946_684_800_000_000L;

    /** Decodes one non-null field of {@code length} bytes at the reader's position into row {@code row}. */
    private interface Decoder {
        void decode(int length, int row) throws IOException;
    }

    private final InputStream in;
    private byte[] buf = new byte[1 << 16];
    private int pos;
    private int limit;
    private FieldVector[] bound;
    private Decoder[] decoders;
    private boolean headerRead;
    private boolean exhausted;
    /** The column of the field being decoded, or -1 between fields; for messages. */
    private int column = -1;
    /** The row of the batch being decoded; for messages. */
    private int row;

    PgCopyDecoder(InputStream in) {
        this.in = in;
    }

    /** True once the stream's trailer was read: {@link #decode} returns 0 from then on. */
    boolean exhausted() {
        return exhausted;
    }

    /** Where a failure of the last {@link #decode} happened, e.g. "column 'a' of row 3 of a batch". */
    String position(FieldVector[] vectors) {
        return (column < 0 || vectors == null || column >= vectors.length ? "" : "column '" + vectors[column].getName()
                + "' of ") + "row " + row + " of a batch";
    }

    /**
     * Allocates {@code vectors} for {@code batchRows} rows and decodes up to that many rows of the stream
     * into them, setting their value counts; at the stream's end reads the COPY to its completion.
     *
     * @return the rows decoded, 0 at the end
     */
    int decode(FieldVector[] vectors, int batchRows) throws IOException {
        if (bound != vectors) {
            decoders = new Decoder[vectors.length];
            for (int c = 0; c < vectors.length; c++) {
                decoders[c] = decoder(vectors[c]);
            }
            bound = vectors;
        }
        for (FieldVector vector : vectors) {
            vector.setInitialCapacity(batchRows);
            vector.allocateNew();
        }
        row = 0;
        column = -1;
        if (!exhausted) {
            if (!headerRead) {
                readHeader();
                headerRead = true;
            }
            while (row < batchRows) {
                ensure(2);
                int fields = getShort();
                if (fields == -1) {
                    exhausted = true;
                    // Read to the end of the COPY (its completion), so that the connection is in step again.
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
        }
        for (FieldVector vector : vectors) {
            vector.setValueCount(row);
        }
        return row;
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
}
