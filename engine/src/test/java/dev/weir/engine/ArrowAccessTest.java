package dev.weir.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A JVM started without the option Arrow needs is told which option to add when the engine starts. */
class ArrowAccessTest {

    /** Starts an engine and closes it; prints the failure's message and exits 3 if it fails. */
    public static final class StartWeir {
        public static void main(String[] args) {
            try (Weir weir = Weir.start()) {
                System.out.println("started");
            } catch (WeirException e) {
                System.out.println("WeirException: " + e.getMessage());
                System.exit(3);
            }
        }
    }

    private static String runChild(Path out, String... jvmOptions) throws IOException, InterruptedException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> command = new java.util.ArrayList<>(List.of(java, "-Xmx256m"));
        command.addAll(List.of(jvmOptions));
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), StartWeir.class.getName()));
        Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(out.toFile()).start();
        if (!p.waitFor(2, TimeUnit.MINUTES)) {
            p.destroyForcibly();
            throw new AssertionError("the child JVM did not finish in two minutes: " + Files.readString(out));
        }
        return p.exitValue() + "\n" + Files.readString(out, StandardCharsets.UTF_8);
    }

    @Test
    void withoutTheOptionTheEngineRefusesToStartNamingIt(@TempDir Path dir) throws Exception {
        String result = runChild(dir.resolve("out.txt"));
        assertTrue(result.startsWith("3\n"), result);
        assertTrue(result.contains("WeirException: Arrow cannot allocate memory: start the JVM with "
                + "--add-opens=java.base/java.nio=ALL-UNNAMED"), result);
        assertTrue(result.contains("<argLine>--add-opens=java.base/java.nio=ALL-UNNAMED</argLine>"), result);
        assertTrue(result.contains("java --add-opens=java.base/java.nio=ALL-UNNAMED"), result);
    }

    @Test
    void withTheOptionTheEngineStarts(@TempDir Path dir) throws Exception {
        String result = runChild(dir.resolve("out.txt"), ArrowAccess.OPENS);
        assertEquals("0", result.substring(0, result.indexOf('\n')), result);
        assertTrue(result.contains("started"), result);
    }
}
