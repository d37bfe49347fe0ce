package dev.weir.engine.stream;

import dev.weir.engine.data.ArrowTable;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import org.apache.arrow.memory.BufferAllocator;

/**
 * One call of one task on one batch, as handed to a {@link BatchPlacement}. Owns its input tables
 * until {@link #invoke()} (or {@link #discard()}) has run; exactly one of the two must be called,
 * once.
 */
public final class BatchCall implements BatchInput {

    private final String task;
    private final long batchId;
    private final Map<String, ArrowTable> inputs;
    private final Map<String, Object> context;
    private final BufferAllocator allocator;
    private final BatchFunction function;

    BatchCall(String task, long batchId, Map<String, ArrowTable> inputs, Map<String, Object> context,
              BufferAllocator allocator, BatchFunction function) {
        this.task = Objects.requireNonNull(task, "task is null");
        this.batchId = batchId;
        this.inputs = Collections.unmodifiableMap(new LinkedHashMap<>(inputs));
        this.context = context;
        this.allocator = allocator;
        this.function = function;
    }

    /**
     * Runs the task's function and returns its output, which the caller then owns. The inputs are
     * closed before this returns or throws, except an input the function returned as its output.
     * Blocking: call it on the blocking dispatcher (or a worker), never on an actor thread.
     */
    public ArrowTable invoke() throws Exception {
        ArrowTable output = null;
        try {
            output = function.apply(this);
            if (output == null) {
                throw new IllegalStateException("the function returned null instead of an ArrowTable");
            }
            return output;
        } finally {
            for (ArrowTable input : inputs.values()) {
                if (input != output) {
                    input.close();
                }
            }
        }
    }

    /** Closes the inputs without running the task. */
    public void discard() {
        inputs.values().forEach(ArrowTable::close);
    }

    /** The number of input rows. */
    public long rows() {
        return inputs.values().stream().mapToLong(ArrowTable::rowCount).sum();
    }

    @Override
    public String task() {
        return task;
    }

    @Override
    public long batchId() {
        return batchId;
    }

    @Override
    public ArrowTable table() {
        if (inputs.size() != 1) {
            throw new IllegalStateException("task '" + task + "' has " + inputs.size() + " inputs " + inputs.keySet()
                    + "; read one with table(name)");
        }
        return inputs.values().iterator().next();
    }

    @Override
    public ArrowTable table(String upstream) {
        ArrowTable table = inputs.get(upstream);
        if (table == null) {
            throw new IllegalArgumentException("task '" + task + "' has no input from '" + upstream
                    + "'; its inputs are " + inputs.keySet());
        }
        return table;
    }

    @Override
    public Map<String, ArrowTable> tables() {
        return inputs;
    }

    @Override
    public <T> T context(String key, Class<T> type) {
        Object value = context.get(key);
        if (value == null) {
            throw new IllegalArgumentException("task '" + task + "': there is no context value '" + key
                    + "'; set it with context(\"" + key + "\", value) or under context in the settings; known: "
                    + context.keySet());
        }
        if (!type.isInstance(value)) {
            throw new IllegalArgumentException("task '" + task + "': context value '" + key + "' is a "
                    + value.getClass().getSimpleName() + ", not a " + type.getSimpleName());
        }
        return type.cast(value);
    }

    @Override
    public BufferAllocator allocator() {
        return allocator;
    }
}
