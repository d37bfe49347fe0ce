package dev.weir.examples.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * SIGTERM to {@code weir run} cancels the run: its stage is rolled back, the instance lock released, and
 * the command says so in one line and exits with 143. Runs {@code weir} in a child JVM on the test's
 * class path, on a flow whose task hangs ({@link HangingFlow}).
 */
class WeirCommandSignalTest {

    @TempDir
    Path dir;

    /**
     * A child {@code weir run}, its output going to a file: {@link Process#destroy()} closes the pipes
     * to a child, so what it prints while it shuts down could not be read from them.
     */
    private record Child(Process process, Path output) {

        String text() throws java.io.IOException {
            return Files.exists(output) ? Files.readString(output, StandardCharsets.UTF_8) : "";
        }

        /** Waits at most {@code seconds} until the child prints {@code line}. */
        boolean printed(String line, long seconds) throws Exception {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
            while (System.nanoTime() < deadline) {
                if (text().lines().anyMatch(line::equals)) {
                    return true;
                }
                if (!process.isAlive()) {
                    return false;
                }
                Thread.sleep(50);
            }
            return false;
        }
    }

    private Child weirRun(Path config, boolean hang, String name) throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Path output = dir.resolve(name + ".out");
        ProcessBuilder builder = new ProcessBuilder(java, "--add-opens=java.base/java.nio=ALL-UNNAMED",
                "-Dweir.test.hang=" + hang, "-cp", System.getProperty("java.class.path"),
                WeirCommand.class.getName(), "run", HangingFlow.NAME, "--instance", "mini", "--config", config.toString())
                .directory(dir.toFile()).redirectErrorStream(true).redirectOutput(output.toFile());
        return new Child(builder.start(), output);
    }

    @Test
    void sigtermCancelsTheRunRollsBackItsStageReleasesTheLockAndExitsWith143() throws Exception {
        Path config = dir.resolve("weir.yaml");
        try (InputStream in = WeirCommandSignalTest.class.getResourceAsStream("/weir-examples.yaml")) {
            Files.writeString(config, new String(in.readAllBytes(), StandardCharsets.UTF_8)
                    .replace(".weir/", dir.resolve(".weir") + "/"));
        }
        Child first = weirRun(config, true, "first");
        try {
            assertTrue(first.printed("HANGING", 60), "the task did not start: " + first.text());
            first.process().destroy(); // SIGTERM
            assertTrue(first.process().waitFor(30, TimeUnit.SECONDS), "weir did not exit: " + first.text());
        } finally {
            first.process().destroyForcibly();
        }
        assertEquals(143, first.process().exitValue(), first.text());
        assertTrue(first.text().contains("CANCELLED hang/mini by SIGTERM: running tasks interrupted, open stages"
                + " rolled back, instance lock released"), first.text());

        Child second = weirRun(config, false, "second");
        try {
            assertTrue(second.process().waitFor(60, TimeUnit.SECONDS), "the second run did not end: " + second.text());
        } finally {
            second.process().destroyForcibly();
        }
        assertEquals(0, second.process().exitValue(), second.text());
        assertFalse(second.text().toLowerCase(java.util.Locale.ROOT).contains("waiting"),
                "the lock was free: " + second.text());
        assertTrue(second.text().contains("OK hang/mini: 1 ran, 0 cache hits"),
                "the cancelled run committed nothing: " + second.text());
    }

    @Test
    void aRunStartedByAScriptThatIsKilledCancelsItselfInsteadOfRunningOnUnseen() throws Exception {
        Path config = dir.resolve("weir.yaml");
        try (InputStream in = WeirCommandSignalTest.class.getResourceAsStream("/weir-examples.yaml")) {
            Files.writeString(config, new String(in.readAllBytes(), StandardCharsets.UTF_8)
                    .replace(".weir/", dir.resolve(".weir") + "/"));
        }
        // as the weir scripts start the run that records the class-data sharing archive: as their child
        String javaBin = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Path output = dir.resolve("scripted.out");
        String command = String.join(" ", javaBin, "--add-opens=java.base/java.nio=ALL-UNNAMED", "-Dweir.test.hang=true",
                "-D" + Signals.CANCEL_WITH_PARENT + "=true", "-cp", "\"" + System.getProperty("java.class.path") + "\"",
                WeirCommand.class.getName(), "run", HangingFlow.NAME, "--instance", "mini", "--config",
                "\"" + config + "\"") + "; echo the script goes on";
        Process script = new ProcessBuilder("bash", "-c", command).directory(dir.toFile()).redirectErrorStream(true)
                .redirectOutput(output.toFile()).start();
        Child run = null;
        try {
            Child scripted = new Child(script, output);
            assertTrue(scripted.printed("HANGING", 60), "the task did not start: " + scripted.text());
            ProcessHandle jvm = script.toHandle().children().findFirst()
                    .orElseThrow(() -> new AssertionError("the script has no child JVM"));
            script.destroy(); // SIGTERM to the script alone, as a supervisor's kill <pid>
            assertTrue(script.waitFor(30, TimeUnit.SECONDS), "the script did not end");
            jvm.onExit().get(60, TimeUnit.SECONDS);
            String text = scripted.text();
            assertTrue(text.contains("has ended; cancelling the run"), text);
            assertTrue(text.contains("CANCELLED hang/mini"), text);

            run = weirRun(config, false, "after");
            assertTrue(run.process().waitFor(60, TimeUnit.SECONDS), "the next run did not end: " + run.text());
            assertEquals(0, run.process().exitValue(), run.text());
            assertFalse(run.text().toLowerCase(java.util.Locale.ROOT).contains("waiting"), "the lock was free: "
                    + run.text());
        } finally {
            script.toHandle().descendants().forEach(ProcessHandle::destroyForcibly);
            script.destroyForcibly();
            if (run != null) {
                run.process().destroyForcibly();
            }
        }
    }
}
