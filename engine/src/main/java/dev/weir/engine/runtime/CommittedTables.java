package dev.weir.engine.runtime;

import dev.weir.engine.Ref;
import dev.weir.engine.Result;
import dev.weir.engine.TaskId;
import dev.weir.engine.blob.FileBlobStore;
import dev.weir.engine.cache.CacheKeys;
import dev.weir.engine.config.InstanceConfig;
import dev.weir.engine.data.ArrowTable;
import dev.weir.engine.data.Rows;
import dev.weir.engine.store.ReadOptions;
import dev.weir.engine.store.TableLocation;
import dev.weir.engine.store.TableStore;
import java.io.IOException;
import java.util.List;
import java.util.Map;
import org.apache.arrow.vector.ipc.ArrowReader;

/** Reads a run's committed outputs for {@link Result#get}. Blocking; called from the user's thread. */
final class CommittedTables implements Result.Reader {

    private final RunServices services;
    private final InstanceConfig config;
    private final Map<Ref, String> tableOf;
    private final Map<TaskId, OutputSet> outputs;
    private final Map<Ref, ArrowTable> inlined;
    /** The flow that ran, or null when the run stopped before planning. */
    private final dev.weir.engine.Flow flow;

    /**
     * @param plan    the run's plan, or null when the run stopped before planning
     * @param outputs what each finished task produced
     * @param inlined views of the run's inlined tables, by producer and output; owned from now on
     */
    CommittedTables(RunServices services, InstanceConfig config, Plan plan, Map<TaskId, OutputSet> outputs,
                    Map<Ref, ArrowTable> inlined) {
        this.services = services;
        this.config = config;
        Map<Ref, String> tables = new java.util.HashMap<>();
        outputs.forEach((task, set) -> set.outputs().forEach(o -> {
            if (o.kind() == OutputSet.Kind.TABLE) {
                tables.put(new Ref(task.stage(), task.name(), o.name()), o.table());
            }
        }));
        this.tableOf = Map.copyOf(tables);
        this.outputs = Map.copyOf(outputs);
        this.inlined = new java.util.concurrent.ConcurrentHashMap<>(inlined);
        this.flow = plan == null ? null : plan.flow();
    }

    /** Frees the inlined tables this result kept. */
    @Override
    public void close() {
        inlined.values().forEach(ArrowTable::close);
        inlined.clear();
    }

    private <T> T readInline(Ref ref, Class<T> type) {
        ArrowTable table = inlined.get(ref);
        if (table == null) {
            throw new IllegalStateException(ref + " was inlined: handed to its consumers in memory and never written"
                    + " to the table store, and this result holds no copy of it (the run took it from the cache, or"
                    + " the result was closed). Run with inline force-false to keep it in the store.");
        }
        if (type == Rows.class) {
            return type.cast(Rows.fromArrow(table));
        }
        if (type == ArrowTable.class) {
            return type.cast(table.view(services.allocator()));
        }
        throw new IllegalArgumentException(ref + " is an inlined table held in memory; read it as Rows or ArrowTable,"
                + " not " + type.getName());
    }

    @Override
    public <T> T read(Ref ref, Class<T> type) {
        if (flow != null && flow.task(ref.taskId()).isEmpty()) {
            List<String> tasks = flow.tasks().stream().filter(t -> t.stage().equals(ref.stage()))
                    .map(dev.weir.engine.TaskDef::name).toList();
            throw new IllegalArgumentException("flow '" + flow.name() + "' has no task '" + ref.stage() + "/" + ref.task()
                    + "'; " + (tasks.isEmpty() ? "its stages are " + flow.stages().stream()
                    .map(dev.weir.engine.StageDef::name).toList() : "the tasks of stage '" + ref.stage() + "' are " + tasks));
        }
        OutputSet set = outputs.get(ref.taskId());
        OutputSet.Output output = set == null ? null : set.output(ref.output()).orElse(null);
        if (output != null && output.kind() == OutputSet.Kind.VALUE) {
            try {
                return CacheKeys.JSON.treeToValue(output.value(), type);
            } catch (IOException e) {
                throw new IllegalArgumentException(ref + " is the value " + output.value() + ", not a "
                        + type.getSimpleName(), e);
            }
        }
        if (output != null && output.kind() == OutputSet.Kind.INLINE) {
            return readInline(ref, type);
        }
        if (output != null && output.kind() == OutputSet.Kind.BLOB) {
            byte[] bytes = new FileBlobStore(config.blobStoreDir()).read(ref.stage(), output.table(), false);
            try {
                return type == byte[].class ? type.cast(bytes) : CacheKeys.JSON.readValue(bytes, type);
            } catch (IOException e) {
                throw new IllegalArgumentException("blob " + ref + " does not read as " + type.getSimpleName(), e);
            }
        }
        TableStore store = services.stores().open(config.tableStore());
        String table = tableOf.getOrDefault(ref, ref.output());
        TableLocation location = new TableLocation(store.committedSchema(ref.stage()), table);
        if (!store.exists(location)) {
            if (set != null && output == null) {
                // neither an output of the task nor a table in its stage (a Ref may name an output's table)
                throw new IllegalArgumentException("task '" + ref.stage() + "/" + ref.task() + "' has no output '"
                        + ref.output() + "'; its outputs are " + set.outputs().stream().map(OutputSet.Output::name)
                        .toList() + " (read one with new Ref(\"" + ref.stage() + "\", \"" + ref.task() + "\", name))");
            }
            throw new IllegalStateException(ref + " has no committed table " + location + " in " + config.tableStore()
                    + "; did its task or stage fail?");
        }
        if (type == String.class) {
            return type.cast(store.sqlName(location));
        }
        if (type == ArrowReader.class) {
            return type.cast(store.readArrow(location, services.allocator(), ReadOptions.ALL));
        }
        try (ArrowReader reader = store.readArrow(location, services.allocator(), ReadOptions.ALL)) {
            if (type == Rows.class) {
                return type.cast(Rows.fromArrow(reader));
            }
            if (type == ArrowTable.class) {
                return type.cast(ArrowTable.readAll(reader, services.allocator()));
            }
        } catch (IOException e) {
            throw new IllegalStateException("cannot close the reader of " + location, e);
        }
        throw new IllegalArgumentException(ref + " is a table; read it as Rows, ArrowTable, ArrowReader or String"
                + " (its SQL name), not " + type.getName());
    }
}
