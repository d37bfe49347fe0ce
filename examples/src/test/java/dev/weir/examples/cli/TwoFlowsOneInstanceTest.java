package dev.weir.examples.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.InputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two example flows with a stage of the same name on one instance: the second run is refused with an
 * error naming both flows, instead of reading the first flow's tables as its own.
 */
class TwoFlowsOneInstanceTest {

    @TempDir
    Path dir;

    private String[] run(Path config, String flow) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = WeirCommand.execute(new PrintWriter(out, true), new PrintWriter(err, true),
                "run", flow, "--instance", "mini", "--config", config.toString());
        return new String[] {String.valueOf(code), err.toString()};
    }

    @Test
    void aFlowIsRefusedOnAnInstanceWhoseStageAnotherFlowCommitted() throws Exception {
        Path config = dir.resolve("weir.yaml");
        try (InputStream in = TwoFlowsOneInstanceTest.class.getResourceAsStream("/weir-examples.yaml")) {
            Files.writeString(config, new String(in.readAllBytes(), StandardCharsets.UTF_8)
                    .replace(".weir/", dir.resolve(".weir") + "/"));
        }
        String[] first = run(config, "lazy-sql");
        assertEquals("0", first[0], first[1]);

        String[] second = run(config, "batched");

        assertEquals("1", second[0], second[1]);
        assertTrue(second[1].contains("flow 'batched' cannot run on instance 'mini'")
                && second[1].contains("stage 'raw'") && second[1].contains("flow 'lazy-sql'")
                && second[1].contains("another instance") && second[1].contains("schema_prefix"), second[1]);
    }
}
