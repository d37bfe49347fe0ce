package dev.weir.engine.runtime;

import dev.weir.engine.Flow;
import dev.weir.engine.Table;
import dev.weir.engine.TaskContext;
import dev.weir.engine.TaskDef;
import dev.weir.engine.config.InstanceConfig;
import dev.weir.engine.store.TableStore;
import java.util.Map;
import org.apache.arrow.memory.BufferAllocator;

/**
 * The context a lazy task's function sees while the run is planned: inputs are named by placeholder
 * tokens (so the query's hash does not depend on transaction schemas), and nothing is read or
 * materialized.
 */
final class LazyPlanContext implements TaskContext {

    private final Flow flow;
    private final InstanceConfig config;
    private final TaskDef task;
    private final TableStore store;

    LazyPlanContext(Flow flow, InstanceConfig config, TaskDef task, TableStore store) {
        this.flow = flow;
        this.config = config;
        this.task = task;
        this.store = store;
    }

    @Override
    public String flow() {
        return flow.name();
    }

    @Override
    public String stage() {
        return task.stage();
    }

    @Override
    public String task() {
        return task.name();
    }

    @Override
    public InstanceConfig config() {
        return config;
    }

    @Override
    public <T> T input(String name, Class<T> type) {
        throw new UnsupportedOperationException("a lazy task runs inside the table store and does not read its"
                + " inputs into memory; name them in its query with ctx.sqlName(\"" + name + "\")");
    }

    @Override
    public String sqlName(String input) {
        TaskDef.Input in = task.input(input).orElseThrow(() -> new IllegalArgumentException(
                "the task has no input '" + input + "'; its inputs are "
                        + task.inputs().stream().map(TaskDef.Input::name).toList()));
        if (in.ref() == null) {
            throw new IllegalArgumentException("input '" + input + "' is a constant, not a table");
        }
        return Planner.token(input);
    }

    @Override
    public Map<String, String> sourceTables() {
        if (task.sourceInstance() == null) {
            throw new IllegalStateException("the task was not declared with sourceInstance(...)");
        }
        return store.foreignStageTables(task.sourceInstance().tableStore(), task.sourceStage());
    }

    @Override
    public String materialize(Table table) {
        throw new UnsupportedOperationException("a lazy task returns its tables as Sql; it cannot materialize"
                + " tables while its query is built");
    }

    @Override
    public BufferAllocator allocator() {
        throw new UnsupportedOperationException("a lazy task holds no Arrow data");
    }
}
