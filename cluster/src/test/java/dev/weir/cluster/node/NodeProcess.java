package dev.weir.cluster.node;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A node in a JVM of its own, started from this test's class path ({@code java -cp <java.class.path> MAIN
 * ARGS}), its output in a log file. For tests of what only a separate process shows: {@code kill -9}
 * ({@link #kill()}), SIGTERM ({@link #stop()}), and a JVM that exits by itself. Every wait is bounded.
 */
public final class NodeProcess implements AutoCloseable {

    private final String name;
    private final Process process;
    private final Path log;

    private NodeProcess(String name, Process process, Path log) {
        this.name = name;
        this.process = process;
        this.log = log;
    }

    /**
     * Starts {@code mainClass} with {@code args} in a new JVM with this JVM's class path, {@code environment}
     * added to this process's environment, output to {@code log}.
     */
    public static NodeProcess start(String name, Path log, Map<String, String> environment, String mainClass,
                                    String... args) throws IOException {
        List<String> command = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                // A small, quick-starting JVM: a test node runs little code for a short time.
                "-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Xss512k",
                "--add-opens=java.base/java.nio=ALL-UNNAMED",
                "-cp", System.getProperty("java.class.path"), mainClass));
        command.addAll(List.of(args));
        Files.createDirectories(log.toAbsolutePath().getParent());
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(log.toFile());
        builder.environment().putAll(environment);
        return new NodeProcess(name, builder.start(), log);
    }

    /**
     * Starts {@link TestNodeMain} with a node configuration file: a node whose guardian registers an echo
     * actor with the Receptionist, and prints {@code WEIR-NODE-UP <address>} once Up. Its output goes to
     * {@code target/node-logs/NAME-MILLIS.log}.
     */
    public static NodeProcess startTestNode(String name, Path config, Map<String, String> environment)
            throws IOException {
        Path log = Path.of("target", "node-logs", name + "-" + System.currentTimeMillis() + ".log").toAbsolutePath();
        return start(name, log, environment, TestNodeMain.class.getName(), config.toString());
    }

    /** Waits until the node printed that it is Up, and returns its address ({@code pekko://...}). */
    public String awaitUp(Duration bound) throws IOException, InterruptedException {
        return awaitLine(Pattern.compile("WEIR-NODE-UP (\\S+)"), bound).group(1);
    }

    /** Waits for a line of output matching {@code pattern}, failing when the bound passes or the JVM ends. */
    public Matcher awaitLine(Pattern pattern, Duration bound) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + bound.toNanos();
        while (true) {
            Optional<Matcher> found = findLine(pattern);
            if (found.isPresent()) {
                return found.get();
            }
            if (!process.isAlive()) {
                found = findLine(pattern);
                if (found.isPresent()) {
                    return found.get();
                }
                throw new AssertionError("node " + name + " exited (" + process.exitValue() + ") without printing "
                        + pattern + "; its output:\n" + tail());
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("node " + name + " did not print " + pattern + " within " + bound
                        + "; its output:\n" + tail());
            }
            Thread.sleep(50);
        }
    }

    /** The first line of output so far that matches {@code pattern}. */
    public Optional<Matcher> findLine(Pattern pattern) throws IOException {
        for (String line : Files.readAllLines(log, StandardCharsets.UTF_8)) {
            Matcher m = pattern.matcher(line);
            if (m.find()) {
                return Optional.of(m);
            }
        }
        return Optional.empty();
    }

    /** {@code kill -9}: the JVM ends at once, with no shutdown hook. */
    public void kill() {
        process.destroyForcibly();
    }

    /** SIGTERM: the JVM runs its shutdown hooks, so the node leaves through its coordinated shutdown. */
    public void stop() {
        process.destroy();
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    /** Waits for the JVM to end and returns its exit code; fails when the bound passes first. */
    public int awaitExit(Duration bound) throws InterruptedException, IOException {
        if (!process.waitFor(bound.toMillis(), TimeUnit.MILLISECONDS)) {
            throw new AssertionError("node " + name + " still runs after " + bound + "; its output:\n" + tail());
        }
        return process.exitValue();
    }

    public Path log() {
        return log;
    }

    /** Kills the JVM if it still runs, and waits (bounded) until it has. */
    @Override
    public void close() throws InterruptedException {
        if (process.isAlive()) {
            process.destroyForcibly();
            process.waitFor(10, TimeUnit.SECONDS);
        }
    }

    private String tail() throws IOException {
        List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
        return String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
    }

    @Override
    public String toString() {
        return "NodeProcess[" + name + ", pid " + process.pid() + "]";
    }
}
