package dev.weir.examples.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code weir plan}: each task's decision and reason, as text and as JSON, and the plan changes nothing. */
class PlanCommandTest {

    private record Outcome(int code, String out, String err) {
    }

    private static Outcome weir(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = WeirCommand.execute(new PrintWriter(out, true), new PrintWriter(err, true), args);
        return new Outcome(code, out.toString(), err.toString());
    }

    /** The JSON plan's decision and reason by stage/task. */
    private static Map<String, String> decisions(String json) throws Exception {
        Map<String, String> byTask = new LinkedHashMap<>();
        for (JsonNode t : new ObjectMapper().readTree(json).get("tasks")) {
            byTask.put(t.get("stage").asText() + "/" + t.get("task").asText(),
                    t.get("decision").asText() + ": " + t.get("reason").asText());
        }
        return byTask;
    }

    @Test
    void planShowsWhatARunWouldDoAndRunsNothing(@TempDir Path dir) throws Exception {
        String config = CliFixtures.examplesConfigIn(dir).toString();
        assertEquals(0, weir("run", "multi-instance", "--instance", "full", "--config", config).code());

        Outcome before = weir("plan", "multi-instance", "--instance", "mini", "--config", config);
        assertEquals(0, before.code(), before.err());
        assertTrue(before.out().contains("Plan of flow 'multi-instance' on instance 'mini'"), before.out());
        assertTrue(before.out().matches("(?s).*stage_1/copy_filtered_inputs +run +no-cache-entry\n.*"), before.out());
        assertTrue(before.out().matches("(?s).*stage_2/double_values_a2 +decided when inputs are ready +its key needs"
                + " stage_1/double_values_a\\.double_values_a, produced in this run\n.*"), before.out());

        Outcome json = weir("plan", "multi-instance", "--instance", "mini", "--config", config, "--json");
        assertEquals(0, json.code(), json.err());
        assertEquals(Map.of(
                "stage_1/copy_filtered_inputs", "run: no-cache-entry",
                "stage_1/double_values_a", "run: no-cache-entry",
                "stage_2/double_values_b", "run: no-cache-entry",
                "stage_2/double_values_a2", "decided when inputs are ready: its key needs"
                        + " stage_1/double_values_a.double_values_a, produced in this run"), decisions(json.out()));

        Outcome planAgain = weir("plan", "multi-instance", "--instance", "mini", "--config", config, "--json");
        assertEquals(decisions(json.out()), decisions(planAgain.out()), "planning wrote no cache entry");

        assertEquals(0, weir("run", "multi-instance", "--instance", "mini", "--config", config).code());
        Outcome after = weir("plan", "multi-instance", "--instance", "mini", "--config", config, "--json");
        assertEquals(0, after.code(), after.err());
        decisions(after.out()).forEach((task, decision) -> assertEquals("cache hit: cache-valid", decision, task));
    }
}
