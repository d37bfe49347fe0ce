package dev.weir.engine;

/** A task failed; the message names flow, stage and task, and the SQL where there was one. */
public class TaskFailedException extends WeirException {

    private final String stage;
    private final String task;

    public TaskFailedException(String flow, String stage, String task, String problem, Throwable cause) {
        super(FlowDefinitionException.where(flow, stage, task) + " failed: " + problem, cause);
        this.stage = stage;
        this.task = task;
    }

    public String stage() {
        return stage;
    }

    public String task() {
        return task;
    }
}
