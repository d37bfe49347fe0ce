package dev.weir.testkit;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;

/**
 * A PostgreSQL server of its own for a test that stops and starts it: a fresh cluster
 * ({@code initdb}) in a temporary directory, on a free port, trusting local TCP connections, removed by
 * {@link #close()}. As root the server runs as user {@code postgres} ({@code runuser}), which owns the
 * directory. Without PostgreSQL's binaries ({@code /usr/lib/postgresql/<version>/bin}) the test is
 * skipped, except under {@code CI=true}, where that is a failure.
 */
final class ThrowawayPostgres implements AutoCloseable {

    /** The superuser initdb creates; local TCP connections are trusted, so no password. */
    static final String USER = "weir";
    static final String DATABASE = "postgres";

    private final Path bin;
    private final Path dir;
    private final int port;
    private final boolean asPostgres;

    private ThrowawayPostgres(Path bin, Path dir, int port, boolean asPostgres) {
        this.bin = bin;
        this.dir = dir;
        this.port = port;
        this.asPostgres = asPostgres;
    }

    /** Creates and starts the cluster. */
    static ThrowawayPostgres start() throws IOException, InterruptedException {
        Optional<Path> bin = binaries();
        if (bin.isEmpty()) {
            String message = "no PostgreSQL binaries (initdb, pg_ctl) under /usr/lib/postgresql/<version>/bin";
            if ("true".equals(System.getenv("CI"))) {
                Assertions.fail("CI=true: " + message + "; install postgresql (.ci/postgres.sh does)");
            }
            Assumptions.abort(message);
        }
        boolean asPostgres = "root".equals(System.getProperty("user.name"));
        Path dir = Files.createTempDirectory("weir-throwaway-pg-");
        ThrowawayPostgres server = new ThrowawayPostgres(bin.get(), dir, freePort(), asPostgres);
        try {
            if (asPostgres) {
                // PostgreSQL refuses to run as root: the cluster belongs to user postgres.
                server.exec(List.of("chown", "postgres:postgres", dir.toString()), false);
            }
            server.exec(List.of(bin.get().resolve("initdb").toString(), "-D", server.data(), "-U", USER, "-A", "trust",
                    "-E", "UTF8", "--no-sync"), true);
            server.startAgain();
            return server;
        } catch (IOException | InterruptedException | RuntimeException | AssertionError e) {
            server.close();
            throw e;
        }
    }

    int port() {
        return port;
    }

    /** Starts the stopped server on the same port and data; returns when it accepts connections. */
    void startAgain() throws IOException, InterruptedException {
        exec(List.of(bin.resolve("pg_ctl").toString(), "-D", data(), "-l", dir.resolve("server.log").toString(), "-w",
                "-t", "60", "-o", "-p " + port + " -k " + dir + " -c listen_addresses=127.0.0.1 -c fsync=off"
                        + " -c full_page_writes=off", "start"), true);
    }

    /**
     * Stops the server the way an administrator's restart does ({@code pg_ctl stop -m fast}): every
     * session is ended with SQLState 57P01, then the server shuts down cleanly.
     */
    void stop() throws IOException, InterruptedException {
        exec(List.of(bin.resolve("pg_ctl").toString(), "-D", data(), "-m", "fast", "-w", "-t", "60", "stop"), true);
    }

    /** Stops the server at once and removes its directory. */
    @Override
    public void close() {
        try {
            if (Files.exists(dir.resolve("data").resolve("postmaster.pid"))) {
                exec(List.of(bin.resolve("pg_ctl").toString(), "-D", data(), "-m", "immediate", "-w", "stop"), true);
            }
        } catch (IOException | InterruptedException | RuntimeException | AssertionError e) {
            // best effort: the directory goes anyway
        } finally {
            try (Stream<Path> files = Files.walk(dir)) {
                files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            } catch (IOException e) {
                // a temporary directory left behind
            }
        }
    }

    private String data() {
        return dir.resolve("data").toString();
    }

    /** Runs a command (as postgres when {@code asServer} and this is root), failing with its output. */
    private void exec(List<String> command, boolean asServer) throws IOException, InterruptedException {
        List<String> full = new ArrayList<>();
        if (asServer && asPostgres) {
            full.addAll(List.of("runuser", "-u", "postgres", "--"));
        }
        full.addAll(command);
        Path output = Files.createTempFile("weir-pg-cmd-", ".log");
        try {
            Process process = new ProcessBuilder(full).redirectErrorStream(true).redirectOutput(output.toFile()).start();
            if (!process.waitFor(90, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new AssertionError(String.join(" ", full) + " did not finish within 90 s");
            }
            if (process.exitValue() != 0) {
                Path log = dir.resolve("server.log");
                throw new AssertionError(String.join(" ", full) + " exited with " + process.exitValue() + ":\n"
                        + Files.readString(output, StandardCharsets.UTF_8)
                        + (Files.isReadable(log) ? "server log:\n" + Files.readString(log, StandardCharsets.UTF_8) : ""));
            }
        } finally {
            Files.deleteIfExists(output);
        }
    }

    /** The bin directory of the newest PostgreSQL installed the Debian way, if any. */
    private static Optional<Path> binaries() throws IOException {
        Path root = Path.of("/usr/lib/postgresql");
        if (!Files.isDirectory(root)) {
            return Optional.empty();
        }
        try (Stream<Path> versions = Files.list(root)) {
            return versions.map(v -> v.resolve("bin"))
                    .filter(b -> Files.isExecutable(b.resolve("initdb")) && Files.isExecutable(b.resolve("pg_ctl")))
                    .max(Comparator.comparingInt(ThrowawayPostgres::majorVersion));
        }
    }

    private static int majorVersion(Path bin) {
        try {
            return Integer.parseInt(bin.getParent().getFileName().toString().replaceAll("\\..*", ""));
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }
}
