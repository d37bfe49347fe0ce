package dev.weir.engine.report;

import dev.weir.engine.TaskDef;
import dev.weir.engine.TaskId;
import dev.weir.engine.TaskState;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * A run's timeline as inline SVG, a Gantt chart: one row per task that started, one bar per attempt
 * from its start to its end, coloured by how the task ended, on a common time axis, so tasks that ran in
 * parallel overlap.
 */
final class TimelineSvg {

    private static final int WIDTH = 980;
    private static final int LABEL_WIDTH = 300;
    private static final int RIGHT_MARGIN = 70;
    private static final int ROW = 22;
    private static final int AXIS = 26;
    private static final int MAX_LABEL = 42;

    private TimelineSvg() {
    }

    /** One row: a task and its attempts. */
    record Row(TaskId task, List<RunTimeline.Span> spans) {
    }

    /** The rows of the tasks of {@code tasks} that started, in that order. */
    static List<Row> rows(List<TaskDef> tasks, RunTimeline timeline) {
        List<Row> rows = new ArrayList<>();
        for (TaskDef task : tasks) {
            List<RunTimeline.Span> spans = timeline.spans(task.id());
            if (!spans.isEmpty()) {
                rows.add(new Row(task.id(), spans));
            }
        }
        return rows;
    }

    /** The SVG element, or null when no task started. */
    static String svg(List<Row> rows, double runSeconds) {
        if (rows.isEmpty()) {
            return null;
        }
        double end = runSeconds;
        for (Row row : rows) {
            for (RunTimeline.Span s : row.spans()) {
                end = Math.max(end, s.end());
            }
        }
        end = Math.max(end, 0.001);
        double step = tickStep(end);
        double plot = WIDTH - LABEL_WIDTH - RIGHT_MARGIN;
        int height = AXIS + rows.size() * ROW + 6;
        StringBuilder svg = new StringBuilder();
        svg.append("<svg class=\"timeline\" width=\"").append(WIDTH)
                .append("\" height=\"").append(height).append("\" viewBox=\"0 0 ").append(WIDTH).append(' ')
                .append(height).append("\" role=\"img\" aria-label=\"timeline of the run\">\n");
        for (double t = 0; t <= end + step / 1000; t += step) {
            double x = LABEL_WIDTH + t / end * plot;
            svg.append("  <line class=\"tick\" x1=\"").append(num(x)).append("\" y1=\"").append(AXIS - 6)
                    .append("\" x2=\"").append(num(x)).append("\" y2=\"").append(height).append("\"/>")
                    .append("<text class=\"tick-label\" x=\"").append(num(x)).append("\" y=\"").append(AXIS - 10)
                    .append("\">").append(Html.escape(seconds(t, step))).append("</text>\n");
        }
        for (int i = 0; i < rows.size(); i++) {
            Row row = rows.get(i);
            int y = AXIS + i * ROW;
            String name = row.task().stage() + "/" + row.task().name();
            svg.append("  <g class=\"row\" data-task=\"").append(Html.escape(name)).append("\">\n")
                    .append("    <text class=\"row-label\" x=\"").append(LABEL_WIDTH - 8).append("\" y=\"")
                    .append(y + ROW - 7).append("\">").append(Html.escape(shorten(name))).append("<title>")
                    .append(Html.escape(name)).append("</title></text>\n");
            for (RunTimeline.Span s : row.spans()) {
                double x = LABEL_WIDTH + s.start() / end * plot;
                double w = Math.max(2, (s.end() - s.start()) / end * plot);
                NodeState state = s.outcome() == null ? NodeState.FAILED : NodeState.of(s.outcome());
                String what = s.outcome() == null ? "attempt " + s.attempt() + " failed, retried"
                        : s.outcome() == TaskState.FAILED ? "failed" : state.label();
                svg.append("    <rect class=\"bar state-").append(state.cssClass()).append("\" x=\"").append(num(x))
                        .append("\" y=\"").append(y + 4).append("\" width=\"").append(num(w)).append("\" height=\"")
                        .append(ROW - 8).append("\" rx=\"2\"><title>").append(Html.escape(name + ": " + what
                                + ", " + duration(s.end() - s.start()) + " from " + duration(s.start())))
                        .append("</title></rect>\n");
            }
            RunTimeline.Span last = row.spans().get(row.spans().size() - 1);
            double lastEnd = LABEL_WIDTH + last.end() / end * plot;
            svg.append("    <text class=\"bar-label\" x=\"").append(num(lastEnd + 4)).append("\" y=\"")
                    .append(y + ROW - 7).append("\">").append(Html.escape(duration(last.end() - last.start())))
                    .append("</text>\n  </g>\n");
        }
        return svg.append("</svg>").toString();
    }

    /** A step of 1, 2 or 5 times a power of ten giving at most ten ticks up to {@code end}. */
    static double tickStep(double end) {
        double step = Math.pow(10, Math.floor(Math.log10(end / 10)));
        for (double factor : new double[] {1, 2, 5, 10}) {
            if (end / (step * factor) <= 10) {
                return step * factor;
            }
        }
        return step * 10;
    }

    private static String seconds(double t, double step) {
        int decimals = step >= 1 ? 0 : (int) Math.ceil(-Math.log10(step) - 1e-9);
        return String.format(Locale.ROOT, "%." + decimals + "f s", t);
    }

    static String duration(double seconds) {
        return seconds < 10 ? String.format(Locale.ROOT, "%.2f s", seconds)
                : String.format(Locale.ROOT, "%.1f s", seconds);
    }

    private static String shorten(String name) {
        return name.length() <= MAX_LABEL ? name : name.substring(0, MAX_LABEL - 1) + "\u2026";
    }

    private static String num(double v) {
        return String.format(Locale.ROOT, "%.1f", v);
    }
}
