package dev.weir.engine.placement;

import java.util.List;
import java.util.Objects;

/**
 * One attempt of one chunk of a batched task, described as a value for a node that knows the flow (by
 * its name, from its own class path) and has its own store configuration for the instance, but knows
 * nothing of the run: everything the run resolved travels here, by name. No data does: the node reads
 * the chunk's rows from the store and appends its output there (the rows of an inlined input, held in the
 * run's memory, travel beside this value: {@link ChunkPlacement#carriesInline}).
 *
 * @param runId       the run's id
 * @param flow        the flow's name
 * @param instance    the instance's name
 * @param perUser     whether the run is on the instance's per-user copy
 * @param tableStore  the table store connection the run uses (its name; the node reads its own settings of it)
 * @param stage       the task's stage
 * @param task        the task's name
 * @param chunk       the chunk's index
 * @param label       the chunk's label, for messages
 * @param predicate   the chunk's predicate as its hook gave it, or null
 * @param attempt     the attempt's number, from 1; the append ledger records it
 * @param inputs      the task's inputs, in declaration order, resolved by the run
 * @param outputSchema the stage's transaction schema, where the task's output tables are appended to
 * @param positionKey the task's position key in this run
 * @param fullKey     the task's full key in this run
 * @param cacheFnHash the task's cache function's hash in this run
 * @param attrsHash   a hash of the instance's {@code attrs} in the run (its configuration's, and the
 *                    {@code --param}s of the run), which a Java task's code reads and its key holds: a node
 *                    whose own attrs hash otherwise refuses the chunk; null: not checked. Only the hash
 *                    travels, since attrs may hold secrets.
 */
public record ChunkWork(String runId, String flow, String instance, boolean perUser, String tableStore, String stage,
                        String task, int chunk,
                        String label, String predicate, int attempt, List<Input> inputs, String outputSchema,
                        String positionKey, String fullKey, String cacheFnHash, String attrsHash) {

    public ChunkWork {
        Objects.requireNonNull(runId, "runId is null");
        Objects.requireNonNull(flow, "flow is null");
        Objects.requireNonNull(instance, "instance is null");
        Objects.requireNonNull(tableStore, "tableStore is null");
        Objects.requireNonNull(stage, "stage is null");
        Objects.requireNonNull(task, "task is null");
        Objects.requireNonNull(outputSchema, "outputSchema is null");
        inputs = List.copyOf(inputs);
    }

    /** Names the chunk for messages: flow, stage, task, chunk and attempt. */
    public String describe() {
        return "chunk " + chunk + " (" + label + ", attempt " + attempt + ") of task '" + task + "' of stage '" + stage
                + "' of flow '" + flow + "' (run " + runId + ")";
    }

    /** What kind of input a chunk reads. */
    public enum InputKind {
        /** A table in the store, read with the chunk's predicate. */
        TABLE,
        /** A value output of another task, as JSON. */
        VALUE,
        /** A constant of the task's definition: the node takes it from its own copy of the flow. */
        CONSTANT,
        /**
         * An inlined table held in the run's memory: the chunk's own rows of it travel beside this work,
         * as the placement carries them ({@link ChunkPlacement#carriesInline}); {@code where} is the chunk's
         * predicate for it, for messages.
         */
        INLINE
    }

    /**
     * One input of the chunk.
     *
     * @param name          the input's name
     * @param kind          what it is
     * @param producerStage the producing task's stage (not for a constant)
     * @param producerTask  the producing task (not for a constant)
     * @param output        the producer's output name (not for a constant)
     * @param inTransaction true when read from the producer stage's running transaction
     * @param schema        for a table, its schema as the run resolved it
     * @param table         for a table, its name
     * @param where         for a table, the chunk's predicate for this input (null: all rows)
     * @param json          for a value, its JSON
     */
    public record Input(String name, InputKind kind, String producerStage, String producerTask, String output,
                        boolean inTransaction, String schema, String table, String where, String json) {
        public Input {
            Objects.requireNonNull(name, "name is null");
            Objects.requireNonNull(kind, "kind is null");
        }
    }
}
