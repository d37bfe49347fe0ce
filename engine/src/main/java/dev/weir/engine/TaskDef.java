package dev.weir.engine;

import dev.weir.engine.config.InstanceConfig;
import java.util.List;
import java.util.Objects;

/**
 * One task of a {@link Flow}, as defined; immutable. Built by {@link TaskBuilder}.
 *
 * @param stage          the stage it belongs to
 * @param name           its name, unique in its stage
 * @param kind           how it produces its outputs
 * @param version        the code version (part of the cache key), or null
 * @param cache          the cache function, or null
 * @param inputs         the bound inputs, in order
 * @param outputs        the declared output names, in order (at least one, except for raw SQL)
 * @param function       the body (function and lazy tasks), or null for raw SQL
 * @param rawScript      the SQL script of a raw SQL task, or null
 * @param sourceInstance the instance whose committed stage this task reads, or null
 * @param sourceStage    the stage of {@code sourceInstance} it reads, or null
 * @param invocation     how the task is called: null for once, or a hook splitting it into chunks
 * @param timeout        how long one attempt may take, overriding the instance's {@code task_timeout}; or null
 * @param chunkTimeout   how long one chunk may compute or upload, overriding {@code chunk_timeout}; or null
 */
public record TaskDef(
        String stage,
        String name,
        Kind kind,
        String version,
        CacheFunction cache,
        List<Input> inputs,
        List<String> outputs,
        TaskFunction function,
        String rawScript,
        InstanceConfig sourceInstance,
        String sourceStage,
        dev.weir.engine.batch.InvocationHook invocation,
        java.time.Duration timeout,
        java.time.Duration chunkTimeout) {

    /** A task with the instance's timeouts. */
    public TaskDef(String stage, String name, Kind kind, String version, CacheFunction cache, List<Input> inputs,
                   List<String> outputs, TaskFunction function, String rawScript, InstanceConfig sourceInstance,
                   String sourceStage, dev.weir.engine.batch.InvocationHook invocation) {
        this(stage, name, kind, version, cache, inputs, outputs, function, rawScript, sourceInstance, sourceStage,
                invocation, null, null);
    }

    /** The task's identity: its stage and name. */
    public TaskId id() {
        return new TaskId(stage, name);
    }

    /** A task called once per run. */
    public TaskDef(String stage, String name, Kind kind, String version, CacheFunction cache, List<Input> inputs,
                   List<String> outputs, TaskFunction function, String rawScript, InstanceConfig sourceInstance,
                   String sourceStage) {
        this(stage, name, kind, version, cache, inputs, outputs, function, rawScript, sourceInstance, sourceStage, null);
    }

    public TaskDef {
        Objects.requireNonNull(stage, "stage is null");
        Objects.requireNonNull(name, "name is null");
        Objects.requireNonNull(kind, "kind is null");
        inputs = List.copyOf(inputs);
        outputs = List.copyOf(outputs);
        if (kind == Kind.RAW_SQL ? rawScript == null : function == null) {
            throw new IllegalArgumentException("task '" + name + "' has no body");
        }
        if (timeout != null && (timeout.isNegative() || timeout.isZero())) {
            throw new IllegalArgumentException("task '" + name + "': the timeout must be positive, was " + timeout);
        }
        if (chunkTimeout != null && (chunkTimeout.isNegative() || chunkTimeout.isZero())) {
            throw new IllegalArgumentException("task '" + name + "': the chunk timeout must be positive, was "
                    + chunkTimeout);
        }
        if (invocation != null && kind != Kind.FUNCTION) {
            throw new IllegalArgumentException("task '" + name + "': only Java tasks can be batched; a " + kind
                    + " task already runs inside the store");
        }
    }

    /** The task's input named {@code inputName}, if any. */
    public java.util.Optional<Input> input(String inputName) {
        return inputs.stream().filter(i -> i.name().equals(inputName)).findFirst();
    }

    /** True when an invocation hook splits the task into chunks. */
    public boolean batched() {
        return invocation != null;
    }

    /** The tasks this task reads from. */
    public List<Ref> upstream() {
        return inputs.stream().map(Input::ref).filter(Objects::nonNull).toList();
    }

    @Override
    public String toString() {
        return stage + "/" + name;
    }

    /** How a task produces its outputs. */
    public enum Kind {
        /** Java code: dematerialize inputs, call, materialize outputs. */
        FUNCTION,
        /** Java code returning {@link Sql}, run inside the store; cached by the rendered query. */
        LAZY,
        /** An SQL script that creates tables in the stage's schema; cached by the script. */
        RAW_SQL
    }

    /**
     * A bound input: either a reference to another task's output, or a constant.
     *
     * @param name     the name the task reads it by
     * @param ref      the upstream output, or null for a constant
     * @param constant the constant's value (hashed into the cache key), when {@code ref} is null
     * @param type     the type the task wants it as (tables: ArrowTable, Rows or ArrowReader)
     */
    public record Input(String name, Ref ref, Object constant, Class<?> type) {
        public Input {
            Objects.requireNonNull(name, "name is null");
            Objects.requireNonNull(type, "type is null");
        }
    }
}
