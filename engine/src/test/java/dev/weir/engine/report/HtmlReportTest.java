package dev.weir.engine.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.weir.engine.Flow;
import dev.weir.engine.FlowDiagram;
import dev.weir.engine.PlanReport;
import dev.weir.engine.Ref;
import dev.weir.engine.Result;
import dev.weir.engine.RunEvent;
import dev.weir.engine.Table;
import dev.weir.engine.TaskResult;
import dev.weir.engine.TaskState;
import dev.weir.engine.data.Rows;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** The HTML page and the Mermaid text: everything user-given escaped, nothing fetched, each state drawn. */
class HtmlReportTest {

    /** HTML, a Mermaid label's end, an attribute's quote, an entity code's start, Markdown and a line break. */
    private static final String HOSTILE = "<script>alert(\"x\")</script> \"] it's #1 | `a` & b\nnext";
    private static final String ERROR = "<b>boom</b> & \"quoted\" </script><!--";

    private static Flow flow() {
        return Flow.define("report", f -> {
            dev.weir.engine.Stage raw = f.stage("raw");
            dev.weir.engine.Stage work = f.stage("work");
            Ref load = raw.task("load").version("1")
                    .produces(ctx -> Table.of(Rows.builder("x").add(1L).build())).ref();
            raw.task(HOSTILE).version("1").input("in", load, Rows.class)
                    .produces(ctx -> Table.of(Rows.builder("x").add(1L).build()));
            work.task("explode").version("1").input("in", load, Rows.class)
                    .produces(ctx -> Table.of(Rows.builder("x").add(1L).build()));
            work.task("after").version("1").lazy()
                    .produces(ctx -> Table.of(dev.weir.engine.Sql.of("SELECT 1")));
        });
    }

    private static Result result() {
        return new Result("report", "mini", "run-1", false, List.of(
                new TaskResult("raw", "load", TaskState.CACHE_VALID, "cache-valid", 0, 1, 0, null),
                new TaskResult("raw", HOSTILE, TaskState.COMPLETED, "no-cache-entry " + HOSTILE, 0.5, 1, 1, null),
                new TaskResult("work", "explode", TaskState.FAILED, "no-cache-entry", 0.2, -1, 2, ERROR),
                new TaskResult("work", "after", TaskState.SKIPPED, "upstream-failed", 0, -1, 0, null)),
                0.9, new IllegalStateException(ERROR), new Result.Reader() {
                    @Override
                    public <T> T read(Ref ref, Class<T> type) {
                        throw new UnsupportedOperationException();
                    }
                });
    }

    private static RunTimeline timeline() {
        AtomicLong clock = new AtomicLong();
        RunTimeline timeline = new RunTimeline(clock::get);
        timeline.accept(new RunEvent.RunStarted("run-1", "report", "mini", 4, 2, 1, 0));
        clock.set(100_000_000L);
        timeline.accept(new RunEvent.TaskStarted("run-1", "raw", HOSTILE, 1));
        timeline.accept(new RunEvent.TaskStarted("run-1", "work", "explode", 1));
        clock.set(300_000_000L);
        timeline.accept(new RunEvent.TaskStarted("run-1", "work", "explode", 2));
        clock.set(600_000_000L);
        timeline.accept(new RunEvent.TaskFinished("run-1", result().task("raw", HOSTILE).orElseThrow()));
        clock.set(700_000_000L);
        timeline.accept(new RunEvent.TaskFinished("run-1", result().task("work", "explode").orElseThrow()));
        clock.set(900_000_000L);
        timeline.accept(new RunEvent.RunFinished("run-1", false, "FAILED"));
        return timeline;
    }

    /** The page without the Mermaid library it inlines: what Weir wrote. */
    private static String ownPart(String page) {
        int start = page.indexOf("<script>\n") + "<script>\n".length();
        int end = page.indexOf("</script>", start);
        assertTrue(start > 0 && end > start, "the page inlines a script");
        assertTrue(page.substring(start, end).contains("globalThis[\"mermaid\"]"), "the first script is Mermaid");
        return page.substring(0, start) + page.substring(end);
    }

    private static int count(String text, String what) {
        return text.split(Pattern.quote(what), -1).length - 1;
    }

    @Test
    void aTaskNamedLikeMarkupIsTextInThePageAndInTheGraph() {
        String page = HtmlReport.run(flow(), result(), timeline());
        String own = ownPart(page);
        assertFalse(own.contains("<script>alert"), "the task name must not become a script element");
        assertFalse(own.contains("<b>boom"), "the error must not become markup");
        assertTrue(own.contains("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &quot;] it&#39;s #1"), own);
        assertTrue(own.contains("&lt;b&gt;boom&lt;/b&gt; &amp; &quot;quoted&quot; &lt;/script&gt;"), own);
        // the page's own elements: the graph data, Mermaid, the renderer; nothing user-given closes one early
        assertEquals(3, count(page.toLowerCase(), "<script"), "script elements");
        assertEquals(3, count(page.toLowerCase(), "</script"), "script ends");
    }

    @Test
    void aBatchedTasksChunksNameTheNodesTheyRanOn() {
        List<TaskResult.ChunkState> chunks = List.of(TaskResult.ChunkState.COMPUTED, TaskResult.ChunkState.COMPUTED,
                TaskResult.ChunkState.COMPUTED);
        Result onCluster = new Result("report", "mini", "run-1", true, List.of(
                new TaskResult("raw", "load", TaskState.COMPLETED, "no-cache-entry", 0.4, 30, 1, null, chunks,
                        java.util.Map.of(0, "pekko://weir@10.0.0.2:25520", 1, "pekko://weir@10.0.0.1:25520",
                                2, "pekko://weir@10.0.0.2:25520"))),
                0.5, null, new Result.Reader() {
                    @Override
                    public <T> T read(Ref ref, Class<T> type) {
                        throw new UnsupportedOperationException();
                    }
                });
        String own = ownPart(HtmlReport.run(flow(), onCluster, timeline()));
        assertTrue(own.contains("3/3, 3 computed, 0 cached<br>on pekko://weir@10.0.0.1:25520 \u00d71,"
                + " pekko://weir@10.0.0.2:25520 \u00d72"), own);
    }

    @Test
    void theGraphsLabelsCannotEndEarly() {
        String mermaid = FlowDiagram.mermaid(flow(), result());
        String node = mermaid.lines().filter(l -> l.trim().startsWith("t1[")).findFirst().orElseThrow();
        Matcher label = Pattern.compile("^\\s*t1\\[\"([^\"]*)\"]:::completed$").matcher(node);
        assertTrue(label.matches(), "one quoted label, then the state class: " + node);
        assertFalse(label.group(1).replace("<br/>", "").matches("(?s).*[<>|`\n].*"), label.group(1));
        assertTrue(label.group(1).startsWith("#lt;script#gt;alert(#quot;x#quot;)#lt;/script#gt; #quot;] it's #35;1"
                + " #124; #96;a#96; #amp; b next"), label.group(1));
        assertTrue(mermaid.contains("t3[\"after (lazy SQL)<br/>SKIPPED: upstream-failed\"]:::skipped"), mermaid);
        assertTrue(mermaid.contains("t0 -->|\"") && mermaid.contains("classDef failed fill:#f8d0d0"), mermaid);
    }

    @Test
    void nothingInThePageIsFetchedWhenItIsViewed() {
        for (String page : List.of(HtmlReport.run(flow(), result(), timeline()), HtmlReport.graph(flow()))) {
            String own = ownPart(page);
            assertFalse(own.matches("(?s).*https?:.*"), "no URL outside the inlined library");
            String lower = page.toLowerCase();
            // no element or style refers to anything outside the page, the inlined library included
            for (String ref : List.of("<link", "<iframe", "<img", "<object", "<embed", "@import", " src=", " href=")) {
                assertFalse(own.toLowerCase().contains(ref), ref);
            }
            assertFalse(Pattern.compile("<script[^>]*\\ssrc", Pattern.CASE_INSENSITIVE).matcher(lower).find());
        }
    }

    @Test
    void eachTaskIsInTheTableWithItsStateAndTheGraphDataNamesItsNode() {
        String page = HtmlReport.run(flow(), result(), timeline());
        assertTrue(page.contains("<tr data-task=\"raw/load\" data-state=\"cache_valid\">"), page.substring(0, 0));
        assertTrue(page.contains("data-state=\"failed\"") && page.contains("data-state=\"skipped\"")
                && page.contains("data-state=\"completed\""));
        String json = page.substring(page.indexOf("id=\"weir-graph\">"), page.indexOf("</script>",
                page.indexOf("id=\"weir-graph\">")));
        assertTrue(json.contains("{\"id\":\"t2\",\"task\":\"work/explode\",\"state\":\"failed\""), json);
        assertTrue(json.contains("\\u003cscript\\u003e") && !json.contains("<"), json);
    }

    @Test
    void theTimelineHasABarPerAttemptColouredByHowTheTaskEnded() {
        String page = HtmlReport.run(flow(), result(), timeline());
        String svg = page.substring(page.indexOf("<svg class=\"timeline\""), page.indexOf("</svg>") + 6);
        assertEquals(3, count(svg, "<rect class=\"bar"), svg);
        assertEquals(2, count(svg, "<rect class=\"bar state-failed\""), "a retried attempt and the failed one: " + svg);
        assertEquals(1, count(svg, "<rect class=\"bar state-completed\""), svg);
        assertTrue(svg.contains("work/explode: attempt 1 failed, retried, 0.20 s from 0.10 s"), svg);
        assertTrue(svg.contains("work/explode: failed, 0.40 s from 0.30 s"), svg);
        assertTrue(page.contains("2 tasks did not run"), "the cache hit and the skipped task have no bar");
    }

    @Test
    void aTimelineKeepsEachAttemptAndTheChunkProgress() {
        RunTimeline timeline = timeline();
        assertEquals(List.of(new RunTimeline.Span(1, 0.1, 0.3, null), new RunTimeline.Span(2, 0.3, 0.7,
                TaskState.FAILED)), timeline.spans(new dev.weir.engine.TaskId("work", "explode")));
        assertEquals(0.9, timeline.seconds(), 1e-9);
        timeline.accept(new RunEvent.ChunkFinished("run-1", "work", "explode", 3, 8, 300, 1.5));
        assertEquals(new RunTimeline.Chunks(3, 8, 300, 1.5), timeline.chunks(new dev.weir.engine.TaskId("work", "explode")));
    }

    @Test
    void aPlanPageColoursEachTaskByWhatARunWouldDo() {
        PlanReport plan = new PlanReport("report", "mini", List.of(
                new PlanReport.Step("raw", "load", PlanReport.Decision.CACHE_HIT, "cache-valid"),
                new PlanReport.Step("raw", HOSTILE, PlanReport.Decision.RUN, "version-changed 1 -> 2"),
                new PlanReport.Step("work", "explode", PlanReport.Decision.RUN, "no-cache-entry"),
                new PlanReport.Step("work", "after", PlanReport.Decision.DECIDED_WHEN_INPUTS_ARE_READY, "waits")));
        String page = HtmlReport.plan(flow(), plan, s -> s.replace("version", "v"));
        assertTrue(page.contains("data-state=\"cache_hit\"") && page.contains("data-state=\"run\"")
                && page.contains("data-state=\"decided_later\""));
        assertTrue(page.contains("v-changed 1 -&gt; 2") && !page.contains("version-changed"), "masked");
        assertTrue(FlowDiagram.mermaid(flow(), plan).contains(":::cache_hit"));
    }
}
