package dev.weir.stores.postgres;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.sql.SQLException;
import org.postgresql.copy.CopyOut;

/**
 * The data of a {@code COPY … TO STDOUT (FORMAT binary)} as a stream of big-endian values.
 *
 * <p>The server sends the file in messages that need not follow row boundaries (the header travels
 * with the first row), so reads may span messages: the common case reads inside the current message,
 * and only a value split across two is assembled in a fresh array. Field bytes are exposed in place
 * ({@link #array()}, {@link #position()}) so that text and binary values are copied once, straight into
 * the Arrow vector.
 */
final class CopyOutRows {

    private static final VarHandle SHORT = MethodHandles.byteArrayViewVarHandle(short[].class, ByteOrder.BIG_ENDIAN);
    private static final VarHandle INT = MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.BIG_ENDIAN);
    private static final VarHandle LONG = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.BIG_ENDIAN);
    private static final byte[] SIGNATURE = {'P', 'G', 'C', 'O', 'P', 'Y', '\n', (byte) 0xff, '\r', '\n', 0};
    private static final byte[] EMPTY = new byte[0];

    private final CopyOut copy;
    private byte[] data = EMPTY;
    private int position;

    CopyOutRows(CopyOut copy) {
        this.copy = copy;
    }

    /** Reads and checks the file header: signature, flags (no OIDs), header extension (skipped). */
    void header() throws SQLException {
        ensure(SIGNATURE.length + 8);
        for (int i = 0; i < SIGNATURE.length; i++) {
            if (data[position + i] != SIGNATURE[i]) {
                throw new SQLException("the server's COPY data does not start with the binary COPY signature");
            }
        }
        position += SIGNATURE.length;
        int flags = readInt();
        if ((flags & (1 << 16)) != 0) {
            throw new SQLException("binary COPY data with OIDs is not supported");
        }
        int extension = readInt();
        ensure(extension);
        position += extension;
    }

    /**
     * Starts the next row.
     *
     * @return its number of fields, or -1 at the file trailer
     */
    short nextRow() throws SQLException {
        return readShort();
    }

    short readShort() throws SQLException {
        ensure(2);
        short value = (short) SHORT.get(data, position);
        position += 2;
        return value;
    }

    int readInt() throws SQLException {
        ensure(4);
        int value = (int) INT.get(data, position);
        position += 4;
        return value;
    }

    long readLong() throws SQLException {
        ensure(8);
        long value = (long) LONG.get(data, position);
        position += 8;
        return value;
    }

    /** Makes the next {@code length} bytes readable at {@link #array()} from {@link #position()}. */
    void require(int length) throws SQLException {
        ensure(length);
    }

    byte[] array() {
        return data;
    }

    int position() {
        return position;
    }

    void skip(int length) throws SQLException {
        ensure(length);
        position += length;
    }

    /** True when the server has nothing more to send (read after the trailer). */
    boolean finished() throws SQLException {
        if (position < data.length) {
            return false;
        }
        byte[] next = copy.readFromCopy();
        if (next == null) {
            return true;
        }
        data = next;
        position = 0;
        return data.length == 0 && finished();
    }

    private void ensure(int length) throws SQLException {
        if (data.length - position >= length) {
            return;
        }
        // A value spans messages: gather what is left of this one and enough of the next ones.
        byte[] joined = new byte[Math.max(length, data.length - position)];
        int filled = data.length - position;
        System.arraycopy(data, position, joined, 0, filled);
        while (filled < length) {
            byte[] next = copy.readFromCopy();
            if (next == null) {
                throw new SQLException("the server's COPY data ended inside a row");
            }
            if (filled + next.length > joined.length) {
                joined = java.util.Arrays.copyOf(joined, filled + next.length);
            }
            System.arraycopy(next, 0, joined, filled, next.length);
            filled += next.length;
        }
        data = filled == joined.length ? joined : java.util.Arrays.copyOf(joined, filled);
        position = 0;
    }
}
