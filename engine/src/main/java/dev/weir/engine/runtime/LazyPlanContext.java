package dev.weir.engine.runtime;

import dev.weir.engine.Flow;
import dev.weir.engine.Table;
import dev.weir.engine.TaskDef;
import dev.weir.engine.config.InstanceConfig;
import dev.weir.engine.store.TableStore;
import org.apache.arrow.memory.BufferAllocator;

/**
 * The context a lazy task's function sees while the run is planned: inputs are named by placeholder
 * tokens (so the query's hash does not depend on transaction schemas), and nothing is read or
 * materialized.
 */
final class LazyPlanContext extends TaskScope {

    LazyPlanContext(Flow flow, InstanceConfig config, TaskDef task, TableStore store) {
        super(flow, config, task, store);
    }

    @Override
    public <T> T input(String name, Class<T> type) {
        TaskDef.Input in = taskDef.input(name).orElse(null);
        if (in != null && in.ref() == null) {
            // a constant is known while planning, and is part of the task's key
            if (in.constant() != null && !type.isInstance(in.constant())) {
                throw new IllegalArgumentException("input '" + name + "' is a constant "
                        + in.constant().getClass().getSimpleName() + ", not a " + type.getSimpleName());
            }
            return type.cast(in.constant());
        }
        throw new UnsupportedOperationException("a lazy task runs inside the table store and does not read its"
                + " inputs into memory; name them in its query with ctx.sqlName(\"" + name + "\")");
    }

    @Override
    public String sqlName(String input) {
        TaskDef.Input in = taskDef.input(input).orElseThrow(() -> new IllegalArgumentException(
                "the task has no input '" + input + "'; its inputs are "
                        + taskDef.inputs().stream().map(TaskDef.Input::name).toList()));
        if (in.ref() == null) {
            throw new IllegalArgumentException("input '" + input + "' is a constant, not a table");
        }
        return Planner.token(input);
    }

    @Override
    public String materialize(Table table) {
        throw new UnsupportedOperationException("a lazy task returns its tables as Sql; it cannot materialize"
                + " tables while its query is built");
    }

    @Override
    public java.nio.file.Path directory(String name) {
        throw new UnsupportedOperationException("a lazy task returns its tables as Sql; it cannot write files"
                + " while its query is built");
    }

    @Override
    public BufferAllocator allocator() {
        throw new UnsupportedOperationException("a lazy task holds no Arrow data");
    }
}
