package dev.weir.engine.combine;

import dev.weir.engine.Table;
import dev.weir.engine.TaskContext;
import dev.weir.engine.cache.CacheKeys;
import dev.weir.engine.config.InstanceConfig;
import dev.weir.engine.data.ArrowTable;
import dev.weir.engine.data.Rows;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.ipc.ArrowReader;

/**
 * The {@link TaskContext} of one inner task of a combined task. It sees only the inner task's own
 * inputs: bound ones are read through the combined task's context (under their prefixed names),
 * stitched ones come from memory. Owns what it derives from in-memory values (a reader over a table,
 * a table drained from a stream, Arrow copies of rows); {@link #release} frees them. Used by one
 * thread, the one running the combined task.
 */
final class InnerContext implements TaskContext {

    private final TaskContext outer;
    private final TaskSpec spec;
    private final Map<String, Object> handed;
    private final List<AutoCloseable> derived = new ArrayList<>();
    private final Set<String> streamsTaken = new HashSet<>();

    /**
     * @param outer  the combined task's context
     * @param spec   the inner task
     * @param handed the stitched inputs by name; still owned by the caller (a drained stream is replaced
     *               here by the table read from it, which this context owns)
     */
    InnerContext(TaskContext outer, TaskSpec spec, Map<String, Object> handed) {
        this.outer = outer;
        this.spec = spec;
        this.handed = new LinkedHashMap<>(handed);
    }

    /** The outer input name of an inner task's bound input: inner inputs cannot clash across tasks. */
    static String outerName(TaskSpec spec, String input) {
        return spec.name() + "." + input;
    }

    @Override
    public String flow() {
        return outer.flow();
    }

    @Override
    public String stage() {
        return outer.stage();
    }

    /** The inner task's name (the combined task's is in error messages and the run report). */
    @Override
    public String task() {
        return spec.name();
    }

    @Override
    public InstanceConfig config() {
        return outer.config();
    }

    @Override
    public <T> T input(String name, Class<T> type) {
        if (handed.containsKey(name)) {
            return type.cast(inMemory(name, handed.get(name), type));
        }
        if (spec.inputs().stream().anyMatch(i -> i.name().equals(name))) {
            return outer.input(outerName(spec, name), type);
        }
        throw new IllegalArgumentException("the task has no input '" + name + "'; its inputs are " + inputNames());
    }

    private Object inMemory(String name, Object value, Class<?> type) {
        if (value instanceof ArrowReader stream) {
            if (type == ArrowReader.class) {
                if (!streamsTaken.add(name)) {
                    throw new IllegalStateException("input '" + name + "' is a stream handed over in memory and"
                            + " can be read once; ask for it as ArrowTable to read it more than once");
                }
                return stream;
            }
            if (streamsTaken.contains(name)) {
                throw new IllegalStateException("input '" + name + "' is a stream that was already handed out as"
                        + " an ArrowReader; it cannot be read again as " + type.getSimpleName());
            }
            ArrowTable drained = own(ArrowTable.readAll(stream, outer.allocator()));
            handed.put(name, drained);
            return inMemory(name, drained, type);
        }
        if (value instanceof ArrowTable table) {
            if (type == ArrowTable.class) {
                return table;
            }
            if (type == ArrowReader.class) {
                return own(table.reader(outer.allocator()));
            }
            if (type == Rows.class) {
                return Rows.fromArrow(table);
            }
        }
        if (value instanceof Rows rows) {
            if (type == Rows.class) {
                return rows;
            }
            if (type == ArrowTable.class || type == ArrowReader.class) {
                ArrowTable table = own(rows.toArrow(outer.allocator()));
                handed.put(name, table);
                return inMemory(name, table, type);
            }
        }
        boolean table = value instanceof ArrowTable || value instanceof Rows;
        if (table) {
            throw new IllegalArgumentException("input '" + name + "' is a table handed over in memory; ask for it as"
                    + " ArrowTable, Rows or ArrowReader (it has no SQL name), not " + type.getName());
        }
        if (type.isInstance(value)) {
            return value;
        }
        try {
            return CacheKeys.JSON.convertValue(value, type);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("input '" + name + "' is a " + value.getClass().getSimpleName()
                    + " handed over in memory and does not read as " + type.getSimpleName() + ": " + e.getMessage(), e);
        }
    }

    @Override
    public String sqlName(String input) {
        if (handed.containsKey(input)) {
            throw new IllegalArgumentException("input '" + input + "' is handed over in memory inside a combined"
                    + " task, so it has no SQL name; read it as ArrowTable, Rows or ArrowReader");
        }
        if (spec.inputs().stream().anyMatch(i -> i.name().equals(input))) {
            return outer.sqlName(outerName(spec, input));
        }
        throw new IllegalArgumentException("the task has no input '" + input + "'; its inputs are " + inputNames());
    }

    @Override
    public Map<String, String> sourceTables() {
        throw new IllegalStateException("inner task '" + spec.name() + "' cannot read another instance:"
                + " a task spec has no sourceInstance(...)");
    }

    /** Materializes through the combined task: the table becomes one of its outputs. */
    @Override
    public String materialize(Table table) {
        return outer.materialize(table);
    }

    @Override
    public java.nio.file.Path directory(String name) {
        return outer.directory(name);
    }

    /** The combined task's allocator, shared by both inner tasks so that tables pass between them. */
    @Override
    public BufferAllocator allocator() {
        return outer.allocator();
    }

    private List<String> inputNames() {
        List<String> names = new ArrayList<>(spec.inputs().stream().map(i -> i.name()).toList());
        names.addAll(handed.keySet());
        return names;
    }

    private <T extends AutoCloseable> T own(T resource) {
        derived.add(resource);
        return resource;
    }

    /**
     * Frees what this context derived, newest first, except the objects in {@code keep} (compared by
     * identity), which the second task returned and the engine now owns.
     */
    void release(Set<Object> keep, List<Exception> failures) {
        for (int i = derived.size() - 1; i >= 0; i--) {
            AutoCloseable resource = derived.get(i);
            if (!keep.contains(resource)) {
                Ownership.close(resource, failures);
            }
        }
        derived.clear();
    }
}
