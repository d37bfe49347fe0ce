package dev.weir.engine;

import dev.weir.engine.combine.CombinedTask;
import dev.weir.engine.report.NodeState;
import dev.weir.engine.report.TaskMark;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Draws a flow as a Mermaid flowchart: one box per stage (nested stages inside their parent), one node
 * per task, an arrow per input labelled with the output it reads; lazy SQL, raw SQL, batched and
 * combined tasks say so under their name. Given a {@link Result} each task is coloured by its state with
 * its reason; given a {@link PlanReport}, by what a run would do. Render it with any Mermaid viewer
 * (GitHub and most Markdown tools show {@code ```mermaid} blocks), or see
 * {@link dev.weir.engine.report.HtmlReport} for a page that draws it.
 *
 * <p>The node of the task at index {@code i} of {@link Flow#tasks()} has the id {@code t<i>}. Every
 * name, reason and output name is escaped for Mermaid: a task named {@code a"]} or {@code <script>} is
 * drawn as that text.
 */
public final class FlowDiagram {

    private FlowDiagram() {
    }

    /** The flow's structure, without states. */
    public static String mermaid(Flow flow) {
        return mermaid(flow, Map.of());
    }

    /** The flow with each task's state in {@code result} (may be null). */
    public static String mermaid(Flow flow, Result result) {
        return mermaid(flow, result == null ? Map.of() : TaskMark.of(result));
    }

    /** The flow with each task's decision in {@code plan}: what a run would do. */
    public static String mermaid(Flow flow, PlanReport plan) {
        return mermaid(flow, TaskMark.of(plan));
    }

    /** The flow with the tasks of {@code marks} coloured by their state; tasks without a mark are plain. */
    public static String mermaid(Flow flow, Map<TaskId, TaskMark> marks) {
        Map<TaskId, String> ids = new HashMap<>();
        for (int i = 0; i < flow.tasks().size(); i++) {
            ids.put(flow.tasks().get(i).id(), nodeId(i));
        }
        StringBuilder out = new StringBuilder("flowchart LR\n");
        List<StageDef> stages = flow.stages();
        for (int s = 0; s < stages.size(); s++) {
            if (stages.get(s).parent() == null) {
                appendStage(out, flow, s, ids, marks, "  ");
            }
        }
        for (TaskDef task : flow.tasks()) {
            for (TaskDef.Input input : task.inputs()) {
                if (input.ref() != null && ids.containsKey(input.ref().taskId())) {
                    out.append("  ").append(ids.get(input.ref().taskId())).append(" -->|\"")
                            .append(escape(input.ref().output())).append("\"| ").append(ids.get(task.id()))
                            .append('\n');
                }
            }
        }
        Set<NodeState> used = EnumSet.noneOf(NodeState.class);
        marks.values().forEach(m -> used.add(m.state()));
        for (NodeState state : used) {
            out.append("  ").append(state.mermaidClassDef()).append('\n');
        }
        return out.toString();
    }

    /** The Mermaid id of the node of the task at {@code index} of {@link Flow#tasks()}. */
    public static String nodeId(int index) {
        return "t" + index;
    }

    /** What kind of task this is, as the diagram says it under its name, or null for a plain Java task. */
    public static String kindLabel(TaskDef task) {
        List<String> kinds = new ArrayList<>();
        if (task.kind() == TaskDef.Kind.LAZY) {
            kinds.add("lazy SQL");
        } else if (task.kind() == TaskDef.Kind.RAW_SQL) {
            kinds.add("raw SQL");
        }
        if (task.batched()) {
            kinds.add("batched");
        }
        if (task.function() instanceof CombinedTask) {
            kinds.add("combined");
        }
        return kinds.isEmpty() ? null : String.join(", ", kinds);
    }

    /**
     * {@code text} as it may stand inside a quoted Mermaid label: Mermaid's entity codes for the characters
     * that end a label or an edge text ({@code "} and {@code |}), open markup or a Markdown string
     * ({@code <}, {@code >}, {@code &}, a backtick), or start an entity code ({@code #}); line breaks and
     * other control characters become spaces.
     */
    public static String escape(String text) {
        StringBuilder out = new StringBuilder(text.length() + 16);
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            switch (c) {
                case '#' -> out.append("#35;");
                case '"' -> out.append("#quot;");
                case '|' -> out.append("#124;");
                case '<' -> out.append("#lt;");
                case '>' -> out.append("#gt;");
                case '&' -> out.append("#amp;");
                case '`' -> out.append("#96;");
                default -> out.append(Character.isISOControl(c) ? ' ' : c);
            }
        }
        return out.toString();
    }

    private static void appendStage(StringBuilder out, Flow flow, int index, Map<TaskId, String> ids,
                                    Map<TaskId, TaskMark> marks, String indent) {
        StageDef stage = flow.stages().get(index);
        out.append(indent).append("subgraph s").append(index).append("[\"").append(escape(stage.name())).append("\"]\n");
        for (int s = 0; s < flow.stages().size(); s++) {
            if (stage.name().equals(flow.stages().get(s).parent())) {
                appendStage(out, flow, s, ids, marks, indent + "  ");
            }
        }
        for (TaskDef task : flow.tasksOf(stage.name())) {
            TaskMark mark = marks.get(task.id());
            out.append(indent).append("  ").append(ids.get(task.id())).append("[\"").append(label(task, mark))
                    .append("\"]");
            if (mark != null) {
                out.append(":::").append(mark.state().cssClass());
            }
            out.append('\n');
        }
        out.append(indent).append("end\n");
    }

    private static String label(TaskDef task, TaskMark mark) {
        StringBuilder label = new StringBuilder(escape(task.name()));
        String kind = kindLabel(task);
        if (kind != null) {
            label.append(" (").append(kind).append(')');
        }
        if (mark != null && mark.detail() != null) {
            label.append("<br/>").append(escape(mark.detail()));
        }
        return label.toString();
    }
}
