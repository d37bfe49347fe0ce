package dev.weir.stores.duckdb;

import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * A process of its own that tries once to lock a file, as another {@code weir} process would, and prints {@code
 * free} (it could, and let go at once) or {@code held}.
 */
public final class LockFileProbe {

    private LockFileProbe() {
    }

    public static void main(String[] args) throws Exception {
        try (FileChannel channel = FileChannel.open(Path.of(args[0]), StandardOpenOption.WRITE)) {
            FileLock lock = channel.tryLock();
            System.out.println(lock == null ? "held" : "free");
        }
    }

    /** What a process of its own finds for {@code file}: {@code free} or {@code held}. */
    static String probe(Path file) throws Exception {
        String javaBin = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process process = new ProcessBuilder(javaBin, "-Xmx32m", "-XX:TieredStopAtLevel=1", "-cp",
                System.getProperty("java.class.path"), LockFileProbe.class.getName(), file.toString())
                .redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes()).strip();
        if (!process.waitFor(60, java.util.concurrent.TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new AssertionError("the probe of " + file + " did not end");
        }
        return output;
    }
}
