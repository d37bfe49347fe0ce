package dev.weir.engine;

import java.util.List;

/** A defined task, handing out references to its outputs for later tasks. */
public final class TaskHandle {

    private final TaskDef task;

    TaskHandle(TaskDef task) {
        this.task = task;
    }

    public String name() {
        return task.name();
    }

    public TaskDef definition() {
        return task;
    }

    /** The task's only output. */
    public Ref ref() {
        if (task.outputs().size() != 1) {
            throw new IllegalStateException("task '" + task.name() + "' has " + task.outputs().size()
                    + " outputs " + task.outputs() + "; name the one you want with ref(name)");
        }
        return new Ref(task.stage(), task.name(), task.outputs().get(0));
    }

    /**
     * The output named {@code output}. For raw SQL tasks, any table the script creates may be named
     * (it is checked when the script has run).
     */
    public Ref ref(String output) {
        if (task.kind() != TaskDef.Kind.RAW_SQL && !task.outputs().contains(output)) {
            throw new IllegalArgumentException("task '" + task.name() + "' has no output '" + output
                    + "'; its outputs are " + task.outputs());
        }
        return new Ref(task.stage(), task.name(), output);
    }

    /** The output at {@code index} in declaration order. */
    public Ref ref(int index) {
        List<String> outputs = task.outputs();
        if (index < 0 || index >= outputs.size()) {
            throw new IndexOutOfBoundsException("task '" + task.name() + "' has " + outputs.size() + " outputs");
        }
        return new Ref(task.stage(), task.name(), outputs.get(index));
    }
}
