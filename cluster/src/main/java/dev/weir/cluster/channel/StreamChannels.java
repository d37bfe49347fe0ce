package dev.weir.cluster.channel;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.WritableByteChannel;

/**
 * A socket's streams as the byte channels Arrow's IPC reader and writer take. The JDK's
 * {@code Channels.newChannel} moves at most 8 KiB per call between a stream and Arrow's direct buffers;
 * these move up to 256 KiB, and never close the socket's stream (the acknowledgement follows the data).
 */
final class StreamChannels {

    private static final int CHUNK = 256 << 10;

    private StreamChannels() {
    }

    static final class Reading implements ReadableByteChannel {
        private final InputStream in;
        private final byte[] chunk = new byte[CHUNK];

        Reading(InputStream in) {
            this.in = in;
        }

        @Override
        public int read(ByteBuffer dst) throws IOException {
            if (dst.hasArray()) {
                int n = in.read(dst.array(), dst.arrayOffset() + dst.position(), dst.remaining());
                if (n > 0) {
                    dst.position(dst.position() + n);
                }
                return n;
            }
            int n = in.read(chunk, 0, Math.min(chunk.length, dst.remaining()));
            if (n > 0) {
                dst.put(chunk, 0, n);
            }
            return n;
        }

        @Override
        public boolean isOpen() {
            return true;
        }

        @Override
        public void close() {
        }
    }

    static final class Writing implements WritableByteChannel {
        private final OutputStream out;
        private final byte[] chunk = new byte[CHUNK];

        Writing(OutputStream out) {
            this.out = out;
        }

        @Override
        public int write(ByteBuffer src) throws IOException {
            int total = src.remaining();
            if (src.hasArray()) {
                out.write(src.array(), src.arrayOffset() + src.position(), total);
                src.position(src.limit());
                return total;
            }
            while (src.hasRemaining()) {
                int n = Math.min(chunk.length, src.remaining());
                src.get(chunk, 0, n);
                out.write(chunk, 0, n);
            }
            return total;
        }

        @Override
        public boolean isOpen() {
            return true;
        }

        @Override
        public void close() throws IOException {
            out.flush();
        }
    }
}
