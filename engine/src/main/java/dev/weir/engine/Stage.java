package dev.weir.engine;

/** A stage while its flow is being defined: add tasks and nested stages to it. */
public final class Stage {

    private final FlowBuilder flow;
    private final String name;

    Stage(FlowBuilder flow, String name) {
        this.flow = flow;
        this.name = name;
    }

    public String name() {
        return name;
    }

    /** Starts defining a task of this stage. */
    public TaskBuilder task(String taskName) {
        flow.checkTaskName(name, taskName);
        return new TaskBuilder(flow, name, taskName);
    }

    /** A stage nested in this one: its own schema, committed on its own. */
    public Stage stage(String stageName) {
        return flow.addStage(stageName, name);
    }
}
