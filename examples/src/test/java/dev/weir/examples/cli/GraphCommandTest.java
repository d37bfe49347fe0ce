package dev.weir.examples.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code weir graph}: the flow drawn without running it, as Mermaid text or an HTML page, coloured by its plan. */
class GraphCommandTest {

    private record Outcome(int code, String out, String err) {
    }

    private static Outcome weir(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = WeirCommand.execute(new PrintWriter(out, true), new PrintWriter(err, true), args);
        return new Outcome(code, out.toString(), err.toString());
    }

    @Test
    void graphPrintsStagesTasksAndInputsAsMermaidWithTheKindsOfTasks() {
        Outcome o = weir("graph", ReportFlow.NAME);
        assertEquals(0, o.code(), o.err());
        assertTrue(o.out().startsWith("flowchart LR\n"), o.out());
        assertTrue(o.out().contains("  subgraph s0[\"report_raw\"]\n    t0[\"load\"]\n"), o.out());
        assertTrue(o.out().contains("t3[\"split (batched)\"]") && o.out().contains("t0 -->|\"load\"| t3"), o.out());
        assertTrue(o.out().contains("t1[\"#lt;script#gt;alert(#quot;x#quot;)#lt;/script#gt; #quot;]"), o.out());
        assertFalse(o.out().contains(":::"), "no instance, no states: " + o.out());

        Outcome lazy = weir("graph", "lazy-sql");
        assertTrue(lazy.out().contains("(lazy SQL)"), lazy.out());
        Outcome combined = weir("graph", "combined");
        assertTrue(combined.out().contains("(combined)"), combined.out());
    }

    @Test
    void graphWithAnInstanceColoursEachTaskByWhatARunWouldDo(@TempDir Path dir) throws Exception {
        String config = CliFixtures.examplesConfigIn(dir).toString();
        Outcome fresh = weir("graph", "multi-instance", "--instance", "full", "--config", config);
        assertEquals(0, fresh.code(), fresh.err());
        assertTrue(fresh.out().contains("t0[\"input_task<br/>run: no-cache-entry\"]:::run"), fresh.out());

        assertEquals(0, weir("run", "multi-instance", "--instance", "full", "--config", config).code());
        Path page = dir.resolve("out/graph.html");
        Outcome html = weir("graph", "multi-instance", "--instance", "full", "--config", config, "--format", "html",
                "--output", page.toString());
        assertEquals(0, html.code(), html.err());
        assertEquals("", html.out());
        String text = Files.readString(page);
        assertTrue(text.contains("<h1>Plan of flow &#39;multi-instance&#39; on instance &#39;full&#39;</h1>"),
                text.substring(0, 3000));
        assertTrue(text.contains("<tr data-task=\"stage_1/input_task\" data-state=\"cache_hit\">"), "a cache hit now");
        assertTrue(text.contains(":::cache_hit"), "the graph's node too");
    }

    @Test
    void graphHtmlWithoutAnInstanceIsThePlainFlow(@TempDir Path dir) throws Exception {
        Path page = dir.resolve("flow.html");
        Outcome o = weir("graph", ReportFlow.NAME, "--format", "html", "--output", page.toString());
        assertEquals(0, o.code(), o.err());
        String text = Files.readString(page);
        assertTrue(text.contains("<h1>Flow &#39;report_test&#39;</h1>"), text.substring(0, 3000));
        assertTrue(text.contains("<tr data-task=\"report_work/after\"><td>report_work</td><td>after</td>"
                + "<td>report_work/explode</td></tr>"), "each task with what it reads");
    }

    @Test
    void aWrongFormatOrAnUnwritableOutputIsAUsageError(@TempDir Path dir) {
        Outcome format = weir("graph", ReportFlow.NAME, "--format", "png");
        assertEquals(2, format.code());
        assertTrue(format.err().contains("--format png: not one of mermaid, html"), format.err());

        Outcome output = weir("graph", ReportFlow.NAME, "--output", dir.toString());
        assertEquals(2, output.code());
        assertTrue(output.err().contains("it is a directory"), output.err());

        Outcome store = weir("graph", ReportFlow.NAME, "--table-store", "postgres");
        assertEquals(2, store.code());
        assertTrue(store.err().contains("--table-store needs --instance"), store.err());
    }
}
