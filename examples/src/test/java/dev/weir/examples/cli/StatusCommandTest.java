package dev.weir.examples.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code weir status}: each stage of the flow committed or not, with its tables and their row counts. */
class StatusCommandTest {

    private record Outcome(int code, String out, String err) {
    }

    private static Outcome weir(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = WeirCommand.execute(new PrintWriter(out, true), new PrintWriter(err, true), args);
        return new Outcome(code, out.toString(), err.toString());
    }

    @Test
    void statusShowsCommittedStagesWithTheirTablesAndRowCounts(@TempDir Path dir) throws Exception {
        String config = CliFixtures.examplesConfigIn(dir).toString();

        Outcome before = weir("status", "multi-instance", "--instance", "full", "--config", config);
        assertEquals(0, before.code(), before.err());
        assertTrue(before.out().contains("Status of flow 'multi-instance' on instance 'full' (duckdb store"),
                before.out());
        assertTrue(before.out().contains("stage stage_1: not committed\n"), before.out());
        assertTrue(before.out().contains("stage stage_2: not committed\n"), before.out());

        Outcome run = weir("run", "multi-instance", "--instance", "full", "--config", config);
        assertEquals(0, run.code(), run.err() + run.out());
        Outcome after = weir("status", "multi-instance", "--instance", "full", "--config", config);
        assertEquals(0, after.code(), after.err());
        assertTrue(after.out().matches("(?s).*stage stage_1: committed by flow 'multi-instance' at \\d{4}-\\d\\d-\\d\\dT\\S+Z, version \\S+,"
                + " schema \\S+\n.*"), after.out());
        assertTrue(after.out().matches("(?s).*\n  double_values_a: [1-9]\\d* rows\n.*"), after.out());
        assertTrue(!after.out().contains("not committed"), after.out());

        Outcome other = weir("status", "multi-instance", "--instance", "mini", "--config", config);
        assertEquals(0, other.code(), other.err());
        assertTrue(other.out().contains("stage stage_1: not committed\n"), "another instance's stages are its own: "
                + other.out());
    }
}
