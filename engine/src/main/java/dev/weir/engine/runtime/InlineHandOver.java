package dev.weir.engine.runtime;

import dev.weir.engine.Ref;
import dev.weir.engine.TaskId;
import dev.weir.engine.data.ArrowTable;
import java.util.Map;
import java.util.Set;

/**
 * How inlined tables travel from the task that produced them to the tasks that read them, within one
 * run. The run's supervisor owns it and calls it from its own thread only. The local implementation
 * shares Arrow buffers in memory; a cluster transport would ship Arrow IPC to the consumer's node
 * behind the same calls.
 */
interface InlineHandOver extends AutoCloseable {

    /**
     * Takes ownership of a task's inlined outputs. {@code consumers} names, per output, the tasks that
     * will read it in this run; an output nobody will read is freed at once.
     */
    void offer(TaskId producer, Map<String, ArrowTable> outputs, Map<String, Set<TaskId>> consumers);

    /** A new view of an inlined output for one attempt of a consumer, which owns and closes it. */
    ArrowTable viewFor(TaskId producer, String output);

    /** The consumer will not read anything more (it succeeded, failed for good, or was skipped). */
    void settled(TaskId consumer);

    /**
     * Views of every inlined output, for the run's {@code Result}, which owns and closes them; taken
     * when the task finished, so they outlive their consumers.
     */
    Map<Ref, ArrowTable> forResult();

    /** Frees everything still held (consumers that never ran, a run that stopped early). */
    @Override
    void close();
}
