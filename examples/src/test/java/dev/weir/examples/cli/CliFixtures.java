package dev.weir.examples.cli;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/** The examples' configuration in a test's directory, and the command line in a second JVM. */
final class CliFixtures {

    /** Put on a queue of {@link #lines} when the process's output ends. */
    private static final String END = "\u0000end of output";

    private CliFixtures() {
    }

    /** {@code weir-examples.yaml} written into {@code dir}, with its data and work directories under {@code dir/.weir}. */
    static Path examplesConfigIn(Path dir) throws IOException {
        Path config = dir.resolve("weir.yaml");
        try (InputStream in = CliFixtures.class.getResourceAsStream("/" + WeirCommand.DEFAULT_CONFIG)) {
            String text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            if (!text.contains("work_dir: \".weir/")) {
                throw new IllegalStateException("the examples' configuration sets no work_dir under .weir/");
            }
            // every local file (work directories, the DuckDB file beside them, blobs) lives under .weir/
            Files.writeString(config, text.replace(".weir/", dir.resolve(".weir") + "/"));
        }
        return config;
    }

    /** Starts {@code weir ARGS} in another JVM on this class path, in {@code dir}; stderr joins stdout. */
    static Process startCli(Path dir, String... args) throws IOException {
        return startCli(dir, true, args);
    }

    /** Starts {@code weir ARGS} in another JVM on this class path, in {@code dir}. */
    static Process startCli(Path dir, boolean joinErrors, String... args) throws IOException {
        return startCli(dir, joinErrors, java.util.Map.of(), args);
    }

    /** Starts {@code weir ARGS} in another JVM on this class path, in {@code dir}, with more environment. */
    static Process startCli(Path dir, boolean joinErrors, java.util.Map<String, String> env, String... args)
            throws IOException {
        String javaBin = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> command = new ArrayList<>(List.of(javaBin, "-Xmx384m",
                "-XX:TieredStopAtLevel=1", "--add-opens=java.base/java.nio=ALL-UNNAMED",
                "-cp", System.getProperty("java.class.path"), WeirCommand.class.getName()));
        command.addAll(List.of(args));
        ProcessBuilder builder = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(joinErrors);
        builder.environment().putAll(env);
        return builder.start();
    }

    /** Reads the process's output on a daemon thread: each line to the queue and to {@code output}. */
    static BlockingQueue<String> lines(Process process, StringBuffer output) {
        return lines(process.getInputStream(), output);
    }

    /** Reads a stream of a process on a daemon thread: each line to the queue and to {@code output}. */
    static BlockingQueue<String> lines(InputStream stream, StringBuffer output) {
        BlockingQueue<String> lines = new LinkedBlockingQueue<>();
        Thread reader = new Thread(() -> {
            try (BufferedReader in = new BufferedReader(
                    new InputStreamReader(stream, StandardCharsets.UTF_8))) {
                for (String line = in.readLine(); line != null; line = in.readLine()) {
                    output.append(line).append('\n');
                    lines.add(line);
                }
            } catch (IOException e) {
                output.append("reading the process failed: ").append(e).append('\n');
            } finally {
                lines.add(END);
            }
        }, "cli-output");
        reader.setDaemon(true);
        reader.start();
        return lines;
    }

    /** The first line matching {@code wanted} within {@code seconds}, or null (also when the output ended). */
    static String awaitLine(BlockingQueue<String> lines, Predicate<String> wanted, long seconds)
            throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (true) {
            String line = lines.poll(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            if (line == null || line.equals(END)) {
                if (line != null) {
                    lines.add(END);
                }
                return null;
            }
            if (wanted.test(line)) {
                return line;
            }
        }
    }
}
