package dev.weir.examples.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;

/** Bad input on the command line: one sentence naming what is wrong and what exists, exit code 2. */
class WeirCommandTest {

    private record Outcome(int code, String out, String err) {
    }

    private static Outcome weir(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = WeirCommand.execute(new PrintWriter(out, true), new PrintWriter(err, true), args);
        return new Outcome(code, out.toString(), err.toString());
    }

    @Test
    void flowsListsEveryExample() {
        Outcome o = weir("flows");
        assertEquals(0, o.code());
        for (String name : new String[] {"multi-instance", "lazy-sql", "inline", "batched", "streaming", "combined"}) {
            assertTrue(o.out().contains(name), o.out());
        }
    }

    @Test
    void onlyTheNamedSubcommandIsBuiltAndHelpListsThemAll() {
        assertEquals(java.util.List.of("run"),
                java.util.List.copyOf(WeirCommand.commandLine("run", "multi-instance").getSubcommands().keySet()));
        assertEquals(java.util.List.of("flows", "run", "plan", "status", "clear", "graph", "node", "cluster"),
                java.util.List.copyOf(WeirCommand.commandLine("--help").getSubcommands().keySet()));
        assertEquals(8, WeirCommand.commandLine().getSubcommands().size());
        Outcome help = weir("--help");
        assertEquals(0, help.code());
        for (String name : WeirCommand.SUBCOMMANDS.keySet()) {
            assertTrue(help.out().contains("  " + name + " "), help.out());
        }
        Outcome unknown = weir("flow");
        assertEquals(2, unknown.code());
        assertTrue(unknown.err().contains("Unmatched argument at index 0: 'flow'")
                && unknown.err().contains("Did you mean: weir flows"), unknown.err());
    }

    @Test
    void anUnknownFlowNamesTheKnownOnes() {
        Outcome o = weir("run", "no-such-flow", "--instance", "mini");
        assertEquals(2, o.code());
        assertTrue(o.err().contains("unknown flow 'no-such-flow'") && o.err().contains("multi-instance"), o.err());
    }

    @Test
    void anUnknownInstanceNamesTheConfigAndTheKnownInstances() {
        Outcome o = weir("run", "multi-instance", "--instance", "maxi");
        assertEquals(2, o.code());
        assertTrue(o.err().contains("maxi") && o.err().contains("weir-examples.yaml") && o.err().contains("mini"),
                o.err());
    }

    @Test
    void graphWritesTheFlowWithEachTasksState(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir)
            throws Exception {
        java.nio.file.Path config = CliFixtures.examplesConfigIn(dir);
        java.nio.file.Path graph = dir.resolve("flow.mmd");
        Outcome o = weir("run", "lazy-sql", "--instance", "mini", "--config", config.toString(), "--graph", graph.toString());
        assertEquals(0, o.code(), o.err());
        String mermaid = java.nio.file.Files.readString(graph);
        assertTrue(mermaid.startsWith("flowchart LR") && mermaid.contains("revenue_by_region (lazy SQL)")
                && mermaid.contains(":::completed") && mermaid.contains("-->|"), mermaid);
    }

    @Test
    void aBadCacheValidationModeListsTheModes() {
        Outcome o = weir("run", "multi-instance", "--instance", "mini", "--cache-validation", "sometimes");
        assertEquals(2, o.code());
        assertTrue(o.err().contains("force-cache-invalid"), o.err());
    }

    @Test
    void sameNamedTasksOfTwoStagesShowAsStageSlashTaskInProgressAndReport(@org.junit.jupiter.api.io.TempDir
                                                                           java.nio.file.Path dir) throws Exception {
        java.nio.file.Path config = CliFixtures.examplesConfigIn(dir);
        java.nio.file.Path report = dir.resolve("report.json");
        Outcome o = withProgress(() -> weir("run", SameNamesFlow.NAME, "--instance", "mini", "--config",
                config.toString(), "--report", report.toString()));
        assertEquals(0, o.code(), o.err());
        assertTrue(o.out().contains(" a/load") && o.out().contains(" b/load") && o.out().contains(" c/both"), o.out());
        com.fasterxml.jackson.databind.JsonNode tasks = new com.fasterxml.jackson.databind.ObjectMapper()
                .readTree(report.toFile()).get("tasks");
        java.util.Set<String> named = new java.util.HashSet<>();
        tasks.forEach(t -> named.add(t.get("stage").asText() + "/" + t.get("task").asText()));
        assertEquals(java.util.Set.of("a/load", "b/load", "c/both"), named);

        Outcome ambiguous = weir("run", SameNamesFlow.NAME, "--instance", "mini", "--config", config.toString(),
                "--only", "load");
        assertTrue(ambiguous.code() != 0, ambiguous.out());
        assertTrue(ambiguous.err().contains("ambiguous") && ambiguous.err().contains("a/load or b/load"),
                ambiguous.err());

        Outcome one = withProgress(() -> weir("run", SameNamesFlow.NAME, "--instance", "mini", "--config",
                config.toString(), "--only", "b/load"));
        assertEquals(0, one.code(), one.err());
        assertTrue(one.out().contains("COMPLETED   b/load") && !one.out().contains("COMPLETED   a/load"), one.out());
    }

    /** The outcome with the progress lines, which the command prints on System.out, in front of its output. */
    private static Outcome withProgress(java.util.function.Supplier<Outcome> command) {
        java.io.PrintStream original = System.out;
        java.io.ByteArrayOutputStream progress = new java.io.ByteArrayOutputStream();
        System.setOut(new java.io.PrintStream(progress, true, java.nio.charset.StandardCharsets.UTF_8));
        try {
            Outcome o = command.get();
            return new Outcome(o.code(), progress.toString(java.nio.charset.StandardCharsets.UTF_8) + o.out(), o.err());
        } finally {
            System.setOut(original);
        }
    }
}
