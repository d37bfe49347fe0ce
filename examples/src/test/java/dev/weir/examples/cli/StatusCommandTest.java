package dev.weir.examples.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.List;
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
        assertTrue(before.out().endsWith("no runs recorded\n"), before.out());

        Outcome run = weir("run", "multi-instance", "--instance", "full", "--config", config);
        assertEquals(0, run.code(), run.err() + run.out());
        Outcome after = weir("status", "multi-instance", "--instance", "full", "--config", config);
        assertEquals(0, after.code(), after.err());
        assertTrue(after.out().matches("(?s).*stage stage_1: committed by flow 'multi-instance' at \\d{4}-\\d\\d-\\d\\dT\\S+Z, version \\S+,"
                + " schema \\S+\n.*"), after.out());
        assertTrue(after.out().matches("(?s).*\n  double_values_a: [1-9]\\d* rows, \\d+\\.\\d (KiB|MiB)\n.*"), after.out());
        assertTrue(!after.out().contains("not committed"), after.out());

        assertTrue(after.out().matches("(?s).*\nlast runs, newest first:\n  \\d{4}-\\d\\d-\\d\\dT\\S+Z multi-instance"
                + " succeeded: [1-9]\\d* ran, 0 cache hits, 0 failed, 0 skipped in \\d+\\.\\d\\d s\n"), after.out());

        Outcome other = weir("status", "multi-instance", "--instance", "mini", "--config", config);
        assertEquals(0, other.code(), other.err());
        assertTrue(other.out().contains("stage stage_1: not committed\n"), "another instance's stages are its own: "
                + other.out());
    }

    @Test
    void statusListsTheLastRunsNewestFirstUpToRunsAndAsJson(@TempDir Path dir) throws Exception {
        String config = CliFixtures.examplesConfigIn(dir).toString();
        assertEquals(0, weir("run", "lazy-sql", "--instance", "mini", "--config", config).code());
        assertEquals(0, weir("run", "lazy-sql", "--instance", "mini", "--config", config).code());

        Outcome one = weir("status", "lazy-sql", "--instance", "mini", "--config", config, "--runs", "1");
        assertEquals(0, one.code(), one.err());
        assertTrue(one.out().matches("(?s).*\nlast runs, newest first:\n  \\S+ lazy-sql succeeded: 0 ran, 4 cache hits,"
                + " 0 failed, 0 skipped in \\S+ s\n"), "only the newest run, the cache hits: " + one.out());

        Outcome json = weir("status", "lazy-sql", "--instance", "mini", "--config", config, "--json");
        assertEquals(0, json.code(), json.err());
        com.fasterxml.jackson.databind.JsonNode root = new com.fasterxml.jackson.databind.ObjectMapper()
                .readTree(json.out());
        assertEquals("lazy-sql", root.get("flow").asText());
        assertEquals("mini", root.get("instance").asText());
        com.fasterxml.jackson.databind.JsonNode raw = root.get("stages").get(0);
        assertEquals("raw", raw.get("stage").asText());
        assertTrue(raw.get("committed").asBoolean());
        assertEquals("lazy-sql", raw.get("owner").asText());
        com.fasterxml.jackson.databind.JsonNode orders = raw.get("tables").get(1);
        assertEquals("orders", orders.get("table").asText(), raw.toString());
        assertEquals(12, orders.get("rows").asLong());
        assertTrue(orders.get("bytes").asLong() > 0, orders.toString());
        com.fasterxml.jackson.databind.JsonNode runs = root.get("runs");
        assertEquals(2, runs.size(), runs.toString());
        assertEquals(List.of("succeeded", 0, 4), List.of(runs.get(0).get("outcome").asText(),
                runs.get(0).get("ran").asInt(), runs.get(0).get("cache_hits").asInt()));
        assertEquals(4, runs.get(1).get("ran").asInt(), "the first run, older, comes second");

        Outcome bad = weir("status", "lazy-sql", "--instance", "mini", "--config", config, "--runs", "-1");
        assertEquals(2, bad.code(), bad.err());
    }

    @Test
    void humanBytesUsesBinaryUnitsWithOneDecimal() {
        assertEquals("0 B", StatusCommand.humanBytes(0));
        assertEquals("1023 B", StatusCommand.humanBytes(1023));
        assertEquals("1.0 KiB", StatusCommand.humanBytes(1024));
        assertEquals("256.0 KiB", StatusCommand.humanBytes(262_144));
        assertEquals("1.5 MiB", StatusCommand.humanBytes(1_572_864));
    }
}
