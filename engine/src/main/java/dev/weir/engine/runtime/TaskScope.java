package dev.weir.engine.runtime;

import dev.weir.engine.Flow;
import dev.weir.engine.TaskContext;
import dev.weir.engine.TaskDef;
import dev.weir.engine.config.InstanceConfig;
import dev.weir.engine.store.TableStore;
import java.util.Map;

/**
 * What every {@link TaskContext} of the runtime knows the same way: which flow, stage, task and
 * instance it belongs to, and the committed tables of a {@code sourceInstance}.
 */
abstract class TaskScope implements TaskContext {

    protected final Flow flowDef;
    protected final InstanceConfig instance;
    protected final TaskDef taskDef;
    protected final TableStore store;

    TaskScope(Flow flow, InstanceConfig config, TaskDef task, TableStore store) {
        this.flowDef = flow;
        this.instance = config;
        this.taskDef = task;
        this.store = store;
    }

    @Override
    public String flow() {
        return flowDef.name();
    }

    @Override
    public String stage() {
        return taskDef.stage();
    }

    @Override
    public String task() {
        return taskDef.name();
    }

    @Override
    public InstanceConfig config() {
        return instance;
    }

    @Override
    public Map<String, String> sourceTables() {
        if (taskDef.sourceInstance() == null) {
            throw new IllegalStateException("the task was not declared with sourceInstance(...)");
        }
        return store.foreignStageTables(taskDef.sourceInstance().tableStore(), taskDef.sourceStage());
    }
}
