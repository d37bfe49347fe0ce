package dev.weir.stores.postgres;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.sql.SQLException;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Deque;
import org.junit.jupiter.api.Test;
import org.postgresql.copy.CopyOut;

/** The binary COPY stream reads the same values however the server cuts it into messages. */
class CopyOutRowsTest {

    /** A COPY whose messages are {@code data} cut every {@code size} bytes. */
    private static final class Messages implements CopyOut {
        private final Deque<byte[]> messages = new ArrayDeque<>();

        Messages(byte[] data, int size) {
            for (int from = 0; from < data.length; from += size) {
                messages.add(Arrays.copyOfRange(data, from, Math.min(data.length, from + size)));
            }
        }

        @Override
        public byte[] readFromCopy() {
            return messages.poll();
        }

        @Override
        public byte[] readFromCopy(boolean block) {
            return readFromCopy();
        }

        @Override
        public int getFieldCount() {
            return 2;
        }

        @Override
        public int getFormat() {
            return 1;
        }

        @Override
        public int getFieldFormat(int field) {
            return 1;
        }

        @Override
        public boolean isActive() {
            return !messages.isEmpty();
        }

        @Override
        public void cancelCopy() {
            messages.clear();
        }

        @Override
        public long getHandledRowCount() {
            return 0;
        }
    }

    /** Header, then rows (int8 id, text label or NULL), then the trailer. */
    private static byte[] file(int rows) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        DataOutputStream out = new DataOutputStream(bytes);
        out.write(new byte[] {'P', 'G', 'C', 'O', 'P', 'Y', '\n', (byte) 0xff, '\r', '\n', 0});
        out.writeInt(0);
        out.writeInt(3); // a header extension the reader must skip
        out.write(new byte[] {9, 9, 9});
        for (int r = 0; r < rows; r++) {
            out.writeShort(2);
            out.writeInt(8);
            out.writeLong(r * 1_000_000_007L);
            if (r % 3 == 0) {
                out.writeInt(-1);
            } else {
                byte[] label = ("label " + r).getBytes(StandardCharsets.UTF_8);
                out.writeInt(label.length);
                out.write(label);
            }
        }
        out.writeShort(-1);
        return bytes.toByteArray();
    }

    private static String read(CopyOutRows in) throws SQLException {
        StringBuilder text = new StringBuilder();
        in.header();
        for (short fields = in.nextRow(); fields != -1; fields = in.nextRow()) {
            assertEquals(2, fields);
            assertEquals(8, in.readInt());
            text.append(in.readLong()).append('=');
            int length = in.readInt();
            if (length == -1) {
                text.append("null");
            } else {
                in.require(length);
                text.append(new String(in.array(), in.position(), length, StandardCharsets.UTF_8));
                in.skip(length);
            }
            text.append(';');
        }
        assertTrue(in.finished());
        return text.toString();
    }

    @Test
    void everyCutOfTheStreamReadsTheSameRows() throws Exception {
        byte[] data = file(50);
        String whole = read(new CopyOutRows(new Messages(data, data.length)));
        assertTrue(whole.startsWith("0=null;1000000007=label 1;2000000014=label 2;3000000021=null;"), whole);
        for (int size : new int[] {1, 2, 3, 5, 7, 11, 64}) {
            assertEquals(whole, read(new CopyOutRows(new Messages(data, size))), "messages of " + size + " bytes");
        }
    }

    @Test
    void aStreamEndingInsideARowFailsClearly() throws Exception {
        byte[] data = file(5);
        CopyOutRows in = new CopyOutRows(new Messages(Arrays.copyOf(data, data.length - 9), 4));
        SQLException e = assertThrows(SQLException.class, () -> read(in));
        assertTrue(e.getMessage().contains("ended inside a row"), e.getMessage());
    }

    @Test
    void dataWithoutTheSignatureIsRejected() {
        CopyOutRows in = new CopyOutRows(new Messages("not a copy file at all".getBytes(StandardCharsets.UTF_8), 8));
        SQLException e = assertThrows(SQLException.class, in::header);
        assertTrue(e.getMessage().contains("signature"), e.getMessage());
    }
}
