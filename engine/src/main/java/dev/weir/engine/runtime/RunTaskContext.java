package dev.weir.engine.runtime;

import com.fasterxml.jackson.databind.JsonNode;
import dev.weir.engine.Ref;
import dev.weir.engine.Table;
import dev.weir.engine.TaskDef;
import dev.weir.engine.cache.CacheKeys;
import dev.weir.engine.config.InstanceConfig;
import dev.weir.engine.data.ArrowTable;
import dev.weir.engine.data.Rows;
import dev.weir.engine.store.ReadOptions;
import dev.weir.engine.store.TableLocation;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.ipc.ArrowReader;

/**
 * The {@link TaskContext} of one running attempt. Owns what it hands out (Arrow tables and readers)
 * and closes it when the attempt ends. Used by one thread, the one running the task.
 */
final class RunTaskContext extends TaskScope implements AutoCloseable {

    private final TaskExecution execution;
    private final List<InputSpec> inputs;
    private final BufferAllocator allocator;
    private final List<AutoCloseable> handedOut = new ArrayList<>();
    private final List<OutputSet.Output> extraTables = new ArrayList<>();

    private final boolean chunk;

    RunTaskContext(TaskExecution execution, TaskDef task, List<InputSpec> inputs, BufferAllocator allocator) {
        this(execution, task, inputs, allocator, false);
    }

    /** @param chunk true for one chunk of a batched task, which cannot materialize tables of its own */
    RunTaskContext(TaskExecution execution, TaskDef task, List<InputSpec> inputs, BufferAllocator allocator,
                   boolean chunk) {
        super(execution.flow(), execution.config(), task, execution.store());
        this.chunk = chunk;
        this.execution = execution;
        this.inputs = inputs;
        this.allocator = allocator;
        // the attempt owns its views of inlined inputs whether or not the task reads them
        inputs.stream().filter(in -> in.inline() != null).forEach(in -> handedOut.add(in.inline()));
    }

    @Override
    public dev.weir.engine.stream.BatchPlacement streamPlacement(String graph,
                                                                dev.weir.engine.stream.StreamGraph definition) {
        java.util.Objects.requireNonNull(graph, "graph is null");
        java.util.Objects.requireNonNull(definition, "definition is null");
        return execution.placement() instanceof dev.weir.engine.stream.StreamPlacements streams
                ? streams.forGraph(flow(), graph, definition) : null;
    }

    @Override
    public <T> T input(String name, Class<T> type) {
        InputSpec in = spec(name);
        if (in.output() == null) {
            if (!type.isInstance(in.constant())) {
                throw new IllegalArgumentException("input '" + name + "' is a constant "
                        + in.constant().getClass().getSimpleName() + ", not a " + type.getSimpleName());
            }
            return type.cast(in.constant());
        }
        OutputSet.Kind kind = in.output().kind();
        if ((kind == OutputSet.Kind.TABLE || kind == OutputSet.Kind.INLINE) && !readableAs(in.type(), type)) {
            throw new IllegalArgumentException("task '" + taskDef.stage() + "/" + taskDef.name() + "' declares input '"
                    + name + "' as " + in.type().getSimpleName() + " but reads it as " + type.getSimpleName()
                    + ": read it with ctx.input(\"" + name + "\", " + in.type().getSimpleName() + ".class), or declare"
                    + " it with .input(\"" + name + "\", ref, " + type.getSimpleName() + ".class)");
        }
        return switch (kind) {
            case TABLE -> type.cast(readTable(in, type));
            case INLINE -> type.cast(readInline(in, type));
            case VALUE -> convert(name, in.output().value(), type);
            case BLOB -> readBlob(in, type);
        };
    }

    /**
     * Whether a table input declared as {@code declared} may be read as {@code type}. The run plans by the
     * declared type: an Arrow type lets the producer's table be handed over in memory (it then has no SQL
     * name), and each ArrowReader input holds a connection. So an input declared with a type is read as that
     * type. ArrowTable is also the type of an input declared without one (and of a task spec's inputs), so an
     * input declared as ArrowTable may still be read as any type a table input comes as.
     */
    static boolean readableAs(Class<?> declared, Class<?> type) {
        return declared == type || declared == ArrowTable.class;
    }

    private Object readTable(InputSpec in, Class<?> type) {
        if (in.inline() != null && type != String.class && type != Ref.class) {
            return readInline(in, type); // a chunk's rows of the table, split from it in one scan
        }
        TableLocation location = location(in);
        ReadOptions options = in.where() == null ? ReadOptions.ALL : ReadOptions.ALL.where(in.where());
        LocalTableFiles files = execution.localTables();
        boolean whole = files != null && in.where() == null && in.producerKey() != null
                && (type == ArrowTable.class || type == Rows.class || type == ArrowReader.class);
        if (whole) {
            return readWholeTable(in, type, location, files);
        }
        if (type == ArrowReader.class) {
            return own(execution.store().readArrow(location, allocator, options));
        }
        if (type == ArrowTable.class) {
            try (ArrowReader reader = execution.store().readArrow(location, allocator, options)) {
                return own(ArrowTable.readAll(reader, allocator));
            } catch (IOException e) {
                throw new IllegalStateException("cannot close the reader of " + location, e);
            }
        }
        if (type == Rows.class) {
            try (ArrowReader reader = execution.store().readArrow(location, allocator, options)) {
                return Rows.fromArrow(reader);
            } catch (IOException e) {
                throw new IllegalStateException("cannot close the reader of " + location, e);
            }
        }
        if (type == String.class || type == Ref.class) {
            return execution.store().sqlName(location);
        }
        throw new IllegalArgumentException("input '" + in.name() + "' is a table; ask for it as ArrowTable, Rows,"
                + " ArrowReader or String (its SQL name), not " + type.getName());
    }

    /**
     * A whole table input with the local table cache on: from its file when there is one for the
     * producer's key (and the cache is read), else from the store, kept as a file when inputs are stored.
     */
    private Object readWholeTable(InputSpec in, Class<?> type, TableLocation location, LocalTableFiles files) {
        String table = in.output().table();
        ArrowTable data = files.readsInputs()
                ? files.read(in.producerStage(), table, in.producerKey(), allocator).orElse(null) : null;
        if (data == null) {
            if (type == ArrowReader.class && !files.storesInputs()) {
                return own(execution.store().readArrow(location, allocator, ReadOptions.ALL));
            }
            try (ArrowReader reader = execution.store().readArrow(location, allocator, ReadOptions.ALL)) {
                data = ArrowTable.readAll(reader, allocator);
            } catch (IOException e) {
                throw new IllegalStateException("cannot close the reader of " + location, e);
            }
            if (files.storesInputs()) {
                files.store(in.producerStage(), table, in.producerKey(), data);
            }
        }
        if (type == ArrowTable.class) {
            return own(data);
        }
        if (type == Rows.class) {
            try (ArrowTable read = data) {
                return Rows.fromArrow(read);
            }
        }
        own(data);
        return own(data.reader(allocator));
    }

    /** An inlined table: this attempt's view of the producer's data, never read from the store. */
    private Object readInline(InputSpec in, Class<?> type) {
        if (in.inline() == null) {
            throw new IllegalStateException("input '" + in.name() + "' was inlined by task '" + in.producerTask()
                    + "' but its data is not in memory; this is a bug in the run's planning");
        }
        ArrowTable data = in.inline();
        if (type == ArrowTable.class) {
            return data;
        }
        if (type == Rows.class) {
            return Rows.fromArrow(data);
        }
        if (type == ArrowReader.class) {
            return own(data.reader(allocator));
        }
        throw new IllegalArgumentException("input '" + in.name() + "' is an inlined table; ask for it as ArrowTable,"
                + " Rows or ArrowReader, not " + type.getName());
    }

    private <T> T readBlob(InputSpec in, Class<T> type) {
        byte[] bytes = execution.blobs().read(in.producerStage(), in.output().table(), in.inTransaction());
        if (type == byte[].class) {
            return type.cast(bytes);
        }
        try {
            return CacheKeys.JSON.readValue(bytes, type);
        } catch (IOException e) {
            throw new IllegalArgumentException("blob input '" + in.name() + "' does not read as "
                    + type.getSimpleName() + ": " + e.getMessage(), e);
        }
    }

    private static <T> T convert(String name, JsonNode value, Class<T> type) {
        try {
            return CacheKeys.JSON.treeToValue(value, type);
        } catch (IOException e) {
            throw new IllegalArgumentException("value input '" + name + "' (" + value + ") does not read as "
                    + type.getSimpleName() + ": " + e.getMessage(), e);
        }
    }

    @Override
    public String sqlName(String input) {
        InputSpec in = spec(input);
        if (in.output() == null || in.output().kind() != OutputSet.Kind.TABLE) {
            throw new IllegalArgumentException("input '" + input + "' is not a table, so it has no SQL name");
        }
        return execution.store().sqlName(location(in));
    }

    @Override
    public String materialize(Table table) {
        if (chunk) {
            throw new UnsupportedOperationException("a chunk of a batched task cannot materialize tables of its own;"
                    + " return them as outputs, which the engine assembles from all chunks");
        }
        if (table.name() == null) {
            throw new IllegalArgumentException("a table materialized inside a task needs a name: Table.of(data, \"name\")");
        }
        OutputSet.Output out = execution.materializeOutput(taskDef, table.name(), table, allocator);
        extraTables.add(out);
        return execution.store().sqlName(execution.transaction(taskDef.stage(), out.table()));
    }

    @Override
    public java.nio.file.Path directory(String name) {
        if (chunk) {
            throw new UnsupportedOperationException("a chunk of a batched task cannot write a directory of its own");
        }
        if (name == null || name.isBlank()) {
            throw new IllegalArgumentException("a task's directory needs a non-blank name");
        }
        String file = dev.weir.engine.blob.FileBlobStore.fileName(name);
        if (extraTables.stream().anyMatch(o -> o.kind() == OutputSet.Kind.BLOB && o.table().equals(file))) {
            throw new IllegalArgumentException("the task already has a directory named '" + name + "'");
        }
        java.nio.file.Path dir = execution.blobs().directory(taskDef.stage(), name);
        extraTables.add(OutputSet.Output.blob(name, file));
        return dir;
    }

    @Override
    public BufferAllocator allocator() {
        return allocator;
    }

    List<OutputSet.Output> extraTables() {
        return List.copyOf(extraTables);
    }

    private TableLocation location(InputSpec in) {
        String table = in.output().table();
        return in.inTransaction() ? execution.transaction(in.producerStage(), table)
                : execution.committed(in.producerStage(), table);
    }

    private InputSpec spec(String name) {
        return inputs.stream().filter(i -> i.name().equals(name)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("the task has no input '" + name + "'; its inputs are "
                        + inputs.stream().map(InputSpec::name).toList()));
    }

    private <T extends AutoCloseable> T own(T resource) {
        handedOut.add(resource);
        return resource;
    }

    /** Closes everything handed out, newest first. */
    @Override
    public void close() throws Exception {
        Exception first = null;
        for (int i = handedOut.size() - 1; i >= 0; i--) {
            try {
                handedOut.get(i).close();
            } catch (Exception e) {
                if (first == null) {
                    first = e;
                }
            }
        }
        handedOut.clear();
        if (first != null) {
            throw first;
        }
    }
}
