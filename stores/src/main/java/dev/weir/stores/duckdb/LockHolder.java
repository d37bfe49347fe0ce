package dev.weir.stores.duckdb;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;

/**
 * Who holds a lock file: the holder writes a line naming its process, host and since when into the file it
 * locked, and a process that gives up waiting reads it to name the holder in its error. The line is a hint for
 * people: the operating system's lock decides who holds it, and a line left by a holder that has gone is
 * overwritten by the next one.
 */
final class LockHolder {

    private static final int MAX_BYTES = 300;

    private LockHolder() {
    }

    /**
     * Replaces the contents of the locked file with this process's line, through the channel that holds the lock;
     * a failure to write is ignored. Returns the line ({@code process 123 on host since …}), which the process
     * keeps: it must never read a file it has locked (see {@link #of}).
     */
    static String write(FileChannel locked) {
        String host;
        try {
            host = java.net.InetAddress.getLocalHost().getHostName();
        } catch (IOException e) {
            host = "an unknown host";
        }
        String line = "process " + ProcessHandle.current().pid() + " on " + host + " since " + Instant.now();
        try {
            locked.truncate(0);
            locked.write(ByteBuffer.wrap((line + "\n").getBytes(StandardCharsets.UTF_8)), 0);
        } catch (IOException e) {
            // only a hint for messages: the lock itself is held
        }
        return line;
    }

    /**
     * {@code " (held by process 123 on host since …)"}, or empty when the file names no holder.
     *
     * <p>Only for a file this process does not hold and cannot take meanwhile (the caller holds the in-process
     * gate of the file): the operating system's locks belong to the process, and closing any descriptor of a
     * file ends every lock the process holds on it, so reading a lock file this process holds would let it go.
     */
    static String of(Path file) {
        try {
            byte[] bytes = Files.readAllBytes(file);
            String text = new String(bytes, 0, Math.min(bytes.length, MAX_BYTES), StandardCharsets.UTF_8).strip();
            return text.startsWith("process ") && !text.contains("\n") ? " (held by " + text + ")" : "";
        } catch (IOException e) {
            return "";
        }
    }
}
