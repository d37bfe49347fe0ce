package dev.weir.engine.report;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.weir.engine.Flow;
import dev.weir.engine.FlowDiagram;
import dev.weir.engine.PlanReport;
import dev.weir.engine.Result;
import dev.weir.engine.TaskDef;
import dev.weir.engine.TaskId;
import dev.weir.engine.TaskResult;
import dev.weir.engine.cache.CacheKeys;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.UnaryOperator;

/**
 * One self-contained HTML page about a flow that opens offline: its graph drawn by Mermaid (bundled into
 * the page, nothing is fetched when it is viewed), and a table of its tasks. For a run
 * ({@link #run}): each task coloured by its state, the run's timeline and, per task, its reason, time,
 * rows, attempts, chunks and error. For a plan ({@link #plan}): what a run would do with each task.
 *
 * <pre>{@code
 * RunTimeline timeline = new RunTimeline();
 * try (Result result = weir.run(flow, instance, RunOptions.defaults().listener(timeline)).toCompletableFuture().join()) {
 *     timeline.awaitFinished(Duration.ofSeconds(5));
 *     Files.writeString(Path.of("run.html"), HtmlReport.run(flow, result, timeline));
 * }
 * }</pre>
 *
 * <p>Every name, reason and error is escaped for HTML and for Mermaid. The page is about 3.3 MB, most
 * of it Mermaid.
 */
public final class HtmlReport {

    private static final String TEMPLATE = "report.html";
    private static final String MERMAID = "mermaid/mermaid.min.js";

    private HtmlReport() {
    }

    /** The flow's graph and tasks, without states. */
    public static String graph(Flow flow) {
        return page(flow, Map.of(), "Flow " + flow.name(),
                "<h1>Flow " + Html.escape(quoted(flow.name())) + "</h1>\n<p class=\"meta\">"
                        + flow.tasks().size() + " tasks in " + flow.stages().size() + " stages</p>",
                Set.of(), "", tasks(flow, null, null, null, Map.of(), UnaryOperator.identity()));
    }

    /** The flow's graph with what a run would do with each task (see {@code Weir.plan}). */
    public static String plan(Flow flow, PlanReport plan, UnaryOperator<String> maskSecrets) {
        Map<TaskId, TaskMark> marks = masked(TaskMark.of(plan), maskSecrets);
        StringBuilder counts = new StringBuilder();
        for (PlanReport.Decision d : PlanReport.Decision.values()) {
            if (plan.count(d) > 0) {
                counts.append(counts.length() == 0 ? "" : ", ").append(plan.count(d)).append(' ').append(d.label());
            }
        }
        return page(flow, marks, "Plan of " + flow.name() + " on " + plan.instance(),
                "<h1>Plan of flow " + Html.escape(quoted(flow.name())) + " on instance "
                        + Html.escape(quoted(plan.instance())) + "</h1>\n<p class=\"summary\">What a run would do: "
                        + Html.escape(counts.toString()) + "</p>",
                states(marks), "", tasks(flow, null, plan, null, marks, maskSecrets));
    }

    /** The run's page; {@code timeline} (may be null) recorded its events, for the timeline. */
    public static String run(Flow flow, Result result, RunTimeline timeline) {
        return run(flow, result, timeline, UnaryOperator.identity());
    }

    /**
     * The run's page, with {@code maskSecrets} applied to every reason and error (e.g. to hide a password
     * in a connection URL); {@code timeline} (may be null) recorded the run's events, for the timeline.
     */
    public static String run(Flow flow, Result result, RunTimeline timeline, UnaryOperator<String> maskSecrets) {
        Map<TaskId, TaskMark> marks = masked(TaskMark.of(result), maskSecrets);
        StringBuilder header = new StringBuilder();
        header.append("<h1>Run of flow ").append(Html.escape(quoted(result.flow()))).append(" on instance ")
                .append(Html.escape(quoted(result.instance()))).append("</h1>\n")
                .append("<p class=\"summary").append(result.successful() ? "" : " failed").append("\">")
                .append(Html.escape(result.summary())).append("</p>\n")
                .append("<p class=\"meta\">run ").append(Html.escape(result.runId())).append("</p>");
        result.failure().ifPresent(f -> header.append("\n<pre class=\"failure\">")
                .append(Html.escape(maskSecrets.apply(String.valueOf(f.getMessage())))).append("</pre>"));
        return page(flow, marks, "Run of " + result.flow() + " on " + result.instance(), header.toString(),
                states(marks), timeline(flow, timeline), tasks(flow, result, null, timeline, marks, maskSecrets));
    }

    private static String page(Flow flow, Map<TaskId, TaskMark> marks, String title, String header,
                               Set<NodeState> legend, String timeline, String tasks) {
        ObjectNode graph = CacheKeys.JSON.createObjectNode();
        graph.put("mermaid", FlowDiagram.mermaid(flow, marks));
        ArrayNode nodes = graph.putArray("nodes");
        for (int i = 0; i < flow.tasks().size(); i++) {
            TaskDef task = flow.tasks().get(i);
            TaskMark mark = marks.get(task.id());
            ObjectNode node = nodes.addObject();
            node.put("id", FlowDiagram.nodeId(i));
            node.put("task", task.stage() + "/" + task.name());
            node.put("state", mark == null ? null : mark.state().cssClass());
            node.put("detail", mark == null ? null : mark.detail());
        }
        Map<String, String> values = new LinkedHashMap<>();
        values.put("title", Html.escape(title));
        values.put("state_css", stateCss());
        values.put("header", header);
        values.put("legend", legend(legend));
        values.put("timeline", timeline);
        values.put("tasks", tasks);
        values.put("graph_json", Html.scriptJson(graph));
        values.put("mermaid_js", Html.inlineScript(MermaidBundle.SOURCE));
        return Html.fill(Html.resource(TEMPLATE), values);
    }

    private static String stateCss() {
        StringBuilder css = new StringBuilder();
        for (NodeState s : NodeState.values()) {
            String dash = s.dashed() ? "stroke-dasharray: 4 2; " : "";
            css.append("  .state-").append(s.cssClass()).append(" { fill: ").append(s.fill()).append("; stroke: ")
                    .append(s.stroke()).append("; ").append(dash).append("background: ").append(s.fill())
                    .append("; border-color: ").append(s.stroke()).append("; }\n");
        }
        return css.toString();
    }

    private static String legend(Set<NodeState> states) {
        StringBuilder legend = new StringBuilder();
        for (NodeState s : states) {
            legend.append("<span><span class=\"swatch state-").append(s.cssClass()).append("\"></span>")
                    .append(Html.escape(s.label())).append("</span>");
        }
        return legend.toString();
    }

    private static String timeline(Flow flow, RunTimeline timeline) {
        StringBuilder section = new StringBuilder("<section id=\"timeline-section\">\n  <h2>Timeline</h2>\n");
        if (timeline == null) {
            return section.append("  <p class=\"note\">No timeline: the run's events were not recorded"
                    + " (pass a RunTimeline as the run's listener).</p>\n</section>").toString();
        }
        List<TimelineSvg.Row> rows = TimelineSvg.rows(flow.tasks(), timeline);
        String svg = TimelineSvg.svg(rows, timeline.seconds());
        if (svg == null) {
            section.append("  <p class=\"note\">No task ran.</p>\n");
        } else {
            section.append("  <div class=\"timeline-box\">\n").append(svg).append("\n  </div>\n");
        }
        int idle = flow.tasks().size() - rows.size();
        if (idle > 0 && svg != null) {
            section.append("  <p class=\"note\">").append(idle).append(idle == 1 ? " task" : " tasks")
                    .append(" did not run (cache hits, skipped) and have no bar.</p>\n");
        }
        return section.append("</section>").toString();
    }

    private static String tasks(Flow flow, Result result, PlanReport plan, RunTimeline timeline,
                                Map<TaskId, TaskMark> marks, UnaryOperator<String> mask) {
        StringBuilder t = new StringBuilder("<table class=\"tasks\">\n<thead><tr><th>stage</th><th>task</th>");
        if (result != null) {
            t.append("<th>state</th><th>reason</th><th>seconds</th><th>rows</th><th>attempts</th><th>chunks</th>"
                    + "<th>error</th>");
        } else if (plan != null) {
            t.append("<th>decision</th><th>reason</th>");
        } else {
            t.append("<th>reads</th>");
        }
        t.append("</tr></thead>\n<tbody>\n");
        for (TaskDef task : flow.tasks()) {
            TaskMark mark = marks.get(task.id());
            t.append("<tr data-task=\"").append(Html.escape(task.stage() + "/" + task.name())).append("\"");
            if (mark != null) {
                t.append(" data-state=\"").append(mark.state().cssClass()).append('"');
            }
            t.append("><td>").append(Html.escape(task.stage())).append("</td><td>").append(Html.escape(task.name()));
            String kind = FlowDiagram.kindLabel(task);
            if (kind != null) {
                t.append(" <span class=\"kind\">(").append(Html.escape(kind)).append(")</span>");
            }
            t.append("</td>");
            if (result != null) {
                TaskResult r = result.task(task.id()).orElse(null);
                if (r == null) {
                    t.append("<td colspan=\"7\"></td>");
                } else {
                    runCells(t, r, mark, timeline == null ? null : timeline.chunks(task.id()), mask);
                }
            } else if (plan != null) {
                PlanReport.Step s = plan.step(task.stage(), task.name()).orElse(null);
                t.append(s == null ? "<td></td><td></td>" : "<td>" + badge(mark.state(), s.decision().label())
                        + "</td><td>" + Html.escape(mask.apply(s.reason())) + "</td>");
            } else {
                t.append("<td>").append(Html.escape(String.join(", ", task.upstream().stream()
                        .map(r -> r.stage() + "/" + r.task()).distinct().toList()))).append("</td>");
            }
            t.append("</tr>\n");
        }
        return t.append("</tbody>\n</table>").toString();
    }

    private static void runCells(StringBuilder t, TaskResult r, TaskMark mark, RunTimeline.Chunks progress,
                                 UnaryOperator<String> mask) {
        t.append("<td>").append(badge(mark.state(), r.state().name())).append("</td>")
                .append("<td>").append(Html.escape(r.reason() == null ? "" : mask.apply(r.reason()))).append("</td>")
                .append("<td class=\"num\">").append(String.format(Locale.ROOT, "%.2f", r.seconds())).append("</td>")
                .append("<td class=\"num\">").append(r.rows() >= 0 ? Long.toString(r.rows()) : "").append("</td>")
                .append("<td class=\"num\">").append(r.attempts()).append("</td>")
                .append("<td>").append(chunks(r, progress)).append("</td><td>");
        if (r.error() != null) {
            String error = mask.apply(r.error());
            String firstLine = error.lines().findFirst().orElse("");
            t.append("<details><summary>").append(Html.escape(firstLine.length() > 80
                    ? firstLine.substring(0, 79) + "\u2026" : firstLine)).append("</summary><pre>")
                    .append(Html.escape(error)).append("</pre></details>");
        }
        t.append("</td>");
    }

    /** A batched task's chunks: how many of how many, computed or cached, rows and rows/s. */
    private static String chunks(TaskResult r, RunTimeline.Chunks progress) {
        long total = !r.chunks().isEmpty() ? r.chunks().size() : progress != null ? progress.total() : 0;
        if (total == 0) {
            return "";
        }
        long done = !r.chunks().isEmpty() ? r.chunks().size() : progress.done();
        StringBuilder cell = new StringBuilder("<progress value=\"").append(done).append("\" max=\"").append(total)
                .append("\"></progress> ").append(done).append('/').append(total);
        if (!r.chunks().isEmpty()) {
            cell.append(", ").append(r.chunkCount(TaskResult.ChunkState.COMPUTED)).append(" computed, ")
                    .append(r.chunkCount(TaskResult.ChunkState.CACHED)).append(" cached");
        }
        if (!r.chunkNodes().isEmpty()) {
            StringBuilder nodes = new StringBuilder();
            r.chunksByNode().forEach((node, n) -> nodes.append(nodes.length() == 0 ? "" : ", ").append(node)
                    .append(" \u00d7").append(n));
            cell.append("<br>on ").append(Html.escape(nodes.toString()));
        }
        if (progress != null && progress.seconds() > 0) {
            cell.append(String.format(Locale.ROOT, ", %d rows, %.0f rows/s", progress.rows(),
                    progress.rows() / progress.seconds()));
        }
        return cell.toString();
    }

    private static String badge(NodeState state, String text) {
        return "<span class=\"state state-" + state.cssClass() + "\">" + Html.escape(text) + "</span>";
    }

    private static Map<TaskId, TaskMark> masked(Map<TaskId, TaskMark> marks, UnaryOperator<String> mask) {
        Map<TaskId, TaskMark> out = new LinkedHashMap<>();
        marks.forEach((id, m) -> out.put(id, new TaskMark(m.state(), m.detail() == null ? null : mask.apply(m.detail()))));
        return out;
    }

    private static Set<NodeState> states(Map<TaskId, TaskMark> marks) {
        Set<NodeState> states = EnumSet.noneOf(NodeState.class);
        marks.values().forEach(m -> states.add(m.state()));
        return states;
    }

    private static String quoted(String name) {
        return "'" + name + "'";
    }

    /** Mermaid's single-file build, read from the engine's resources once, when a page is first drawn. */
    private static final class MermaidBundle {
        static final String SOURCE = Html.resource(MERMAID);
    }
}
