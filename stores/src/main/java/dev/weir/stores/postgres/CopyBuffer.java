package dev.weir.stores.postgres;

import java.nio.ByteBuffer;
import java.sql.SQLException;
import org.apache.arrow.memory.ArrowBuf;
import org.postgresql.copy.CopyIn;

/**
 * A fixed buffer of PGCOPY binary data in front of a {@link CopyIn}: values are written big-endian
 * into one heap array and handed to the driver whenever it fills, so that a table of any size
 * passes through a constant amount of memory and the driver sees few, large writes.
 *
 * <p>Not thread-safe: one COPY, one thread.
 */
final class CopyBuffer {

    /** "PGCOPY\n\377\r\n\0": the signature that opens every binary COPY stream. */
    private static final byte[] SIGNATURE = {'P', 'G', 'C', 'O', 'P', 'Y', '\n', (byte) 0xFF, '\r', '\n', 0};

    private final CopyIn copy;
    private final byte[] bytes;
    private final ByteBuffer buffer;

    CopyBuffer(CopyIn copy, int capacity) {
        this.copy = copy;
        this.bytes = new byte[capacity];
        this.buffer = ByteBuffer.wrap(bytes); // big-endian, as PGCOPY wants
    }

    /** The file header: signature, flags (no OIDs), header extension length. */
    void header() throws SQLException {
        ensure(SIGNATURE.length + 8);
        buffer.put(SIGNATURE).putInt(0).putInt(0);
    }

    /** The file trailer: a field count of -1. */
    void trailer() throws SQLException {
        ensure(2);
        buffer.putShort((short) -1);
    }

    /** Makes room for {@code n} bytes, flushing if needed. {@code n} must not exceed the capacity. */
    void ensure(int n) throws SQLException {
        if (buffer.remaining() < n) {
            flush();
        }
    }

    void putShort(short value) {
        buffer.putShort(value);
    }

    void putInt(int value) {
        buffer.putInt(value);
    }

    void putLong(long value) {
        buffer.putLong(value);
    }

    void putByte(byte value) {
        buffer.put(value);
    }

    void putFloat(float value) {
        buffer.putFloat(value);
    }

    void putDouble(double value) {
        buffer.putDouble(value);
    }

    /** A length-prefixed field whose bytes lie in an Arrow buffer; values larger than the buffer stream through. */
    void putField(ArrowBuf source, long start, int length) throws SQLException {
        ensure(4);
        buffer.putInt(length);
        long offset = start;
        int left = length;
        while (left > 0) {
            if (buffer.remaining() == 0) {
                flush();
            }
            int n = Math.min(left, buffer.remaining());
            source.getBytes(offset, bytes, buffer.position(), n);
            buffer.position(buffer.position() + n);
            offset += n;
            left -= n;
        }
    }

    /** Hands what is buffered to the driver. */
    void flush() throws SQLException {
        if (buffer.position() > 0) {
            copy.writeToCopy(bytes, 0, buffer.position());
            buffer.clear();
        }
    }
}
