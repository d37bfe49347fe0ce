package dev.weir.engine;

import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.memory.BufferAllocator;

/**
 * Checks, when an engine starts, that Arrow can allocate memory. On JDK 17 Arrow needs the JVM option
 * {@value #OPENS}; without it the first allocation fails deep inside Arrow or Netty with a message that
 * does not name the option.
 */
final class ArrowAccess {

    static final String OPENS = "--add-opens=java.base/java.nio=ALL-UNNAMED";

    static final String MESSAGE = "Arrow cannot allocate memory: start the JVM with " + OPENS
            + " (with Maven Surefire: <argLine>" + OPENS + "</argLine>; with java: java " + OPENS
            + " -cp ... Main; in a JAR's manifest: Add-Opens: java.base/java.nio)";

    private ArrowAccess() {
    }

    /** Allocates, wraps as an NIO buffer and frees one byte through {@code allocator}, or throws a {@link WeirException} naming the option. */
    static void check(BufferAllocator allocator) {
        try (ArrowBuf buf = allocator.buffer(1)) {
            buf.setByte(0, 1);
            // Arrow's IPC writers wrap buffers as NIO buffers; that needs java.nio's DirectByteBuffer constructor.
            if (buf.nioBuffer(0, 1).get(0) != 1) {
                throw new IllegalStateException("Arrow's NIO view of a buffer does not show the byte written to it");
            }
        } catch (RuntimeException | LinkageError e) {
            throw new WeirException(MESSAGE, e);
        }
    }

    /** Runs {@code creation} (which creates an allocator), turning Arrow's failure to start into the same message. */
    static <T> T create(java.util.function.Supplier<T> creation) {
        try {
            return creation.get();
        } catch (RuntimeException | LinkageError e) {
            throw new WeirException(MESSAGE, e);
        }
    }
}
