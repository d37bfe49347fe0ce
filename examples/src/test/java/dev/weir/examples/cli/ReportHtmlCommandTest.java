package dev.weir.examples.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code weir run --report-html FILE}: the run as one page, each task with its state, a timeline and chunks. */
class ReportHtmlCommandTest {

    private record Outcome(int code, String out, String err) {
    }

    private static Outcome weir(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = WeirCommand.execute(new PrintWriter(out, true), new PrintWriter(err, true), args);
        return new Outcome(code, out.toString(), err.toString());
    }

    /**
     * Runs {@link ReportFlow} twice on {@code store}, the second time with {@code --report-html}, and returns
     * the page: the first run commits stage report_raw, so the second has cache hits, a task that ran, a
     * failed task and a skipped one.
     */
    static String secondRunsPage(Path dir, String store) throws Exception {
        String config = CliFixtures.examplesConfigIn(dir).toString();
        Outcome first = weir("run", ReportFlow.NAME, "--instance", "mini", "--config", config, "--table-store", store);
        assertEquals(1, first.code(), "explode always fails: " + first.err());
        Path page = dir.resolve("report/run.html");
        Outcome second = weir("run", ReportFlow.NAME, "--instance", "mini", "--config", config, "--table-store", store,
                "--report-html", page.toString());
        assertEquals(1, second.code(), second.err());
        assertTrue(second.err().contains("<b>boom</b>"), "stderr says why as before: " + second.err());
        return Files.readString(page);
    }

    static final Map<String, String> EXPECTED_STATES = Map.of(
            "report_raw/load", "cache_valid",
            "report_raw/" + ReportFlow.HOSTILE, "cache_valid",
            "report_work/stamp", "completed",
            "report_work/explode", "failed",
            "report_work/after", "skipped");

    private static void assertRunPage(String page) {
        EXPECTED_STATES.forEach((task, state) -> assertTrue(page.contains("<tr data-task=\""
                + escape(task) + "\" data-state=\"" + state + "\">"), task + " is " + state));
        assertTrue(Pattern.compile("<tr data-task=\"report_work/split\" data-state=\"(completed|cache_valid)\">")
                .matcher(page).find(), "the batched task ran or was resumed");
        assertTrue(page.contains("<h1>Run of flow &#39;report_test&#39; on instance &#39;mini&#39;</h1>"));
        assertTrue(page.contains("<p class=\"summary failed\">FAILED report_test/mini: "), "the summary line");
        // the timeline: a bar for each task that ran, coloured by how it ended
        String svg = page.substring(page.indexOf("<svg class=\"timeline\""), page.indexOf("</svg>"));
        assertTrue(svg.contains("<g class=\"row\" data-task=\"report_work/stamp\">"), svg);
        Matcher explode = Pattern.compile("<g class=\"row\" data-task=\"report_work/explode\">.*?</g>", Pattern.DOTALL)
                .matcher(svg);
        assertTrue(explode.find() && explode.group().contains("class=\"bar state-failed\""), svg);
        assertFalse(svg.contains("data-task=\"report_raw/load\""), "a cache hit has no bar");
        // escaped: the hostile name and the error are text
        assertFalse(page.contains("<script>alert") || page.contains("<b>boom"));
        assertTrue(page.contains("IllegalStateException: &lt;b&gt;boom&lt;/b&gt; &amp; &quot;quoted&quot;"),
                "the error, escaped");
    }

    private static String escape(String text) {
        return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;")
                .replace("'", "&#39;");
    }

    @Test
    void runWritesTheReportWithEachTasksStateTimelineAndError(@TempDir Path dir) throws Exception {
        assertRunPage(secondRunsPage(dir, "duckdb"));
    }

    @Test
    void runWritesTheReportOnPostgres(@TempDir Path dir) throws Exception {
        Assumptions.assumeTrue(System.getenv("PGHOST") != null || "true".equals(System.getenv("CI")),
                "no PostgreSQL server (PGHOST unset)");
        assertRunPage(secondRunsPage(dir, "postgres"));
    }

    @Test
    void aBatchedTaskShowsItsChunks(@TempDir Path dir) throws Exception {
        String config = CliFixtures.examplesConfigIn(dir).toString();
        Path page = dir.resolve("batched.html");
        Outcome o = weir("run", "batched", "--instance", "mini", "--config", config, "--report-html", page.toString());
        assertEquals(0, o.code(), o.err());
        String text = Files.readString(page);
        assertTrue(Pattern.compile("<progress value=\"16\" max=\"16\"></progress> 16/16, 16 computed, 0 cached,"
                + " \\d+ rows, \\d+ rows/s").matcher(text).find(), "the chunks of scored/score");
        assertTrue(text.contains("score <span class=\"kind\">(batched)</span>"));
    }

    @Test
    void aReportHtmlPathThatCannotBeWrittenIsRefusedBeforeTheRun(@TempDir Path dir) throws Exception {
        String config = CliFixtures.examplesConfigIn(dir).toString();
        Outcome o = weir("run", ReportFlow.NAME, "--instance", "mini", "--config", config, "--report-html",
                dir.toString());
        assertEquals(2, o.code());
        assertTrue(o.err().contains("--report-html " + dir + ": cannot write") && o.err().contains("directory"),
                o.err());
        assertFalse(Files.exists(dir.resolve(".weir")), "nothing ran");
    }
}
