package dev.weir.engine;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Collects the stages and tasks of a flow inside {@link Flow#define}. */
public final class FlowBuilder {

    private final String name;
    private final Map<String, StageDef> stages = new LinkedHashMap<>();
    private final Map<TaskId, TaskDef> tasks = new LinkedHashMap<>();
    private final List<TaskId> pendingTasks = new ArrayList<>();

    FlowBuilder(String name) {
        this.name = name;
    }

    public String name() {
        return name;
    }

    /** Adds a top-level stage. */
    public Stage stage(String stageName) {
        return addStage(stageName, null);
    }

    /**
     * Endings of the schemas stores keep beside a stage's own ({@code <stage>__tx} and {@code <stage>__old}
     * on PostgreSQL, {@code <stage>__odd} and {@code <stage>__even} on DuckDB): a stage named like one
     * would share its schema with another stage's transaction.
     */
    static final List<String> RESERVED_STAGE_ENDINGS = List.of("__tx", "__old", "__odd", "__even");

    /** The stores' metadata schema. */
    static final String METADATA_SCHEMA = "weir_metadata";

    Stage addStage(String stageName, String parent) {
        checkName("stage", stageName, null);
        if (stages.containsKey(stageName)) {
            throw new FlowDefinitionException(name, stageName, null, "a stage of this name is already defined");
        }
        String lower = stageName.toLowerCase(java.util.Locale.ROOT);
        for (String ending : RESERVED_STAGE_ENDINGS) {
            if (lower.endsWith(ending)) {
                throw new FlowDefinitionException(name, stageName, null, "a stage name must not end with '" + ending
                        + "' (in any case): table stores keep a stage's transaction in a schema of the stage's name"
                        + " followed by " + RESERVED_STAGE_ENDINGS + ", so this stage would share its schema with"
                        + " another stage's transaction. Rename the stage.");
            }
        }
        if (lower.equals(METADATA_SCHEMA)) {
            throw new FlowDefinitionException(name, stageName, null, "'" + METADATA_SCHEMA + "' is the schema where"
                    + " table stores keep Weir's metadata; rename the stage.");
        }
        for (String other : stages.keySet()) {
            if (other.equalsIgnoreCase(stageName)) {
                throw new FlowDefinitionException(name, stageName, null, "stage '" + other + "' differs from this"
                        + " one only in case, and DuckDB matches schema names without regard to case; rename one.");
            }
        }
        stages.put(stageName, new StageDef(stageName, parent));
        return new Stage(this, stageName);
    }

    void checkTaskName(String stage, String taskName) {
        checkName("task", taskName, stage);
        TaskId id = new TaskId(stage, taskName);
        if (tasks.containsKey(id) || pendingTasks.contains(id)) {
            throw new FlowDefinitionException(name, stage, taskName,
                    "a task of this name is already defined in the stage (task names are unique in a stage)");
        }
        pendingTasks.add(id);
    }

    void add(TaskDef task) {
        for (TaskDef.Input input : task.inputs()) {
            Ref ref = input.ref();
            if (ref == null) {
                continue;
            }
            TaskDef producer = tasks.get(ref.taskId());
            if (producer == null) {
                throw new FlowDefinitionException(name, task.stage(), task.name(), "input '" + input.name()
                        + "' reads " + ref + ", which is not a task defined before it in this flow");
            }
        }
        pendingTasks.remove(task.id());
        tasks.put(task.id(), task);
    }

    private void checkName(String what, String value, String stage) {
        if (value == null || value.isBlank()) {
            throw new FlowDefinitionException(name, stage, null, "a " + what + " needs a non-blank name");
        }
    }

    Flow build() {
        if (!pendingTasks.isEmpty()) {
            throw new FlowDefinitionException(name, pendingTasks.get(0).stage(), pendingTasks.get(0).name(),
                    "the task was started but never given a body (produces, sql or rawSql)");
        }
        return new Flow(name, List.copyOf(stages.values()), List.copyOf(tasks.values()));
    }
}
