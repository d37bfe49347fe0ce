package dev.weir.examples.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Cache keys are canonical: a rerun in another JVM (other hash seeds, other {@code Map.of} orders,
 * other identities) finds every task of every example flow valid. Each of the two rounds runs in a JVM
 * of its own, started from this test's class path.
 */
class ExamplesAcrossJvmsTest {

    @TempDir
    Path dir;

    @Test
    void everyExampleFlowIsAllCacheHitsWhenRunAgainInOtherJvms() throws Exception {
        Path configs = writeConfigs();
        Path reports = Files.createDirectories(dir.resolve("reports"));
        round(configs, reports, "first");
        for (String round : List.of("second")) { // add rounds here to try more JVMs
            round(configs, reports, round);
            List<Path> files;
            try (Stream<Path> listed = Files.list(reports)) {
                files = listed.filter(p -> p.getFileName().toString().startsWith(round + "-")).sorted().toList();
            }
            assertEquals(ExampleRound.builtIn().size() + 1, files.size(), "one report per example run"
                    + " (multi-instance on full, then every example on mini): " + files);
            for (Path report : files) {
                JsonNode run = new ObjectMapper().readTree(report.toFile());
                List<String> notHits = new ArrayList<>();
                for (JsonNode task : run.get("tasks")) {
                    if (!"CACHE_VALID".equals(task.get("state").asText())) {
                        notHits.add(task.get("stage").asText() + "/" + task.get("task").asText() + " "
                                + task.get("state").asText() + " (" + task.get("reason").asText() + ")");
                    }
                }
                assertEquals(List.of(), notHits, report.getFileName() + ": every task is a cache hit in a new JVM");
            }
        }
    }

    /** Runs {@link ExampleRound} in a JVM of its own and waits for it. */
    private void round(Path configs, Path reports, String round) throws IOException, InterruptedException {
        String classPath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        Path log = dir.resolve(round + ".log");
        Process process = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--add-opens=java.base/java.nio=ALL-UNNAMED", "-cp", classPath, ExampleRound.class.getName(),
                configs.toString(), reports.toString(), round)
                .directory(dir.toFile()).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        boolean done = process.waitFor(4, TimeUnit.MINUTES);
        if (!done) {
            process.destroyForcibly();
        }
        assertTrue(done && process.exitValue() == 0, () -> "round " + round + (done ? " exited with "
                + process.exitValue() : " timed out after 4 minutes") + ":\n" + tail(log));
    }

    private static String tail(Path log) {
        try {
            List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
        } catch (IOException e) {
            return "(no log: " + e + ")";
        }
    }

    /**
     * The examples' configuration for each flow, with its files under the test's directory, one
     * database per flow (several examples have a stage {@code raw}, and a stage belongs to one flow),
     * and a small batched example.
     */
    private Path writeConfigs() throws IOException {
        String text;
        try (InputStream in = ExamplesAcrossJvmsTest.class.getResourceAsStream("/weir-examples.yaml")) {
            text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        String mini = "      copy_filter_cnt: 1\n";
        assertTrue(text.contains(mini), "the examples' mini instance sets copy_filter_cnt");
        Path configs = Files.createDirectories(dir.resolve("configs"));
        for (String flow : ExampleRound.builtIn()) {
            Files.writeString(configs.resolve(flow + ".yaml"), text
                    .replace(".weir/", dir.resolve(".weir").resolve(flow) + "/")
                    .replace(mini, mini + "      orders: 20000\n"));
        }
        return configs;
    }
}
