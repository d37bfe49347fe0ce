package dev.weir.engine;

import java.util.HashMap;
import java.util.Locale;
import java.util.Map;

/**
 * Draws a flow as a Mermaid flowchart: one box per stage, one node per task, an arrow per input, and,
 * given a {@link Result}, each task coloured by its state with its reason. Render it with any Mermaid
 * viewer (GitHub and most Markdown tools show {@code ```mermaid} blocks).
 */
public final class FlowDiagram {

    private FlowDiagram() {
    }

    /** The flow's structure, without states. */
    public static String mermaid(Flow flow) {
        return mermaid(flow, null);
    }

    /** The flow with each task's state in {@code result} (may be null). */
    public static String mermaid(Flow flow, Result result) {
        Map<TaskId, String> ids = new HashMap<>();
        for (int i = 0; i < flow.tasks().size(); i++) {
            ids.put(flow.tasks().get(i).id(), "t" + i);
        }
        StringBuilder out = new StringBuilder("flowchart LR\n");
        for (int s = 0; s < flow.stages().size(); s++) {
            StageDef stage = flow.stages().get(s);
            out.append("  subgraph s").append(s).append("[\"").append(escape(stage.name())).append("\"]\n");
            for (TaskDef task : flow.tasksOf(stage.name())) {
                out.append("    ").append(ids.get(task.id())).append("[\"").append(label(task, result)).append("\"]");
                TaskState state = result == null ? null : result.task(task.id()).map(TaskResult::state).orElse(null);
                if (state != null) {
                    out.append(":::").append(state.name().toLowerCase(Locale.ROOT));
                }
                out.append('\n');
            }
            out.append("  end\n");
        }
        for (TaskDef task : flow.tasks()) {
            for (TaskDef.Input input : task.inputs()) {
                if (input.ref() != null) {
                    out.append("  ").append(ids.get(input.ref().taskId())).append(" -->|").append(escape(input.ref().output()))
                            .append("| ").append(ids.get(task.id())).append('\n');
                }
            }
        }
        out.append("  classDef completed fill:#cdeccd,stroke:#2e7d32\n");
        out.append("  classDef cache_valid fill:#e3ecf7,stroke:#1565c0\n");
        out.append("  classDef failed fill:#f8d0d0,stroke:#c62828\n");
        out.append("  classDef skipped fill:#eeeeee,stroke:#9e9e9e,stroke-dasharray: 4 2\n");
        return out.toString();
    }

    private static String label(TaskDef task, Result result) {
        StringBuilder label = new StringBuilder(escape(task.name()));
        if (task.kind() == TaskDef.Kind.LAZY) {
            label.append(" (lazy)");
        } else if (task.kind() == TaskDef.Kind.RAW_SQL) {
            label.append(" (raw SQL)");
        } else if (task.batched()) {
            label.append(" (batched)");
        }
        if (result != null) {
            result.task(task.id()).ifPresent(r -> {
                label.append("<br/>").append(r.state());
                if (r.reason() != null && r.state() != TaskState.CACHE_VALID) {
                    label.append(": ").append(escape(r.reason()));
                }
            });
        }
        return label.toString();
    }

    private static String escape(String text) {
        return text.replace("\"", "#quot;").replace("|", "#124;").replace("<", "#lt;").replace(">", "#gt;");
    }
}
