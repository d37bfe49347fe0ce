package dev.weir.engine.stream;

import dev.weir.engine.data.ArrowTable;
import java.util.Map;
import org.apache.arrow.memory.BufferAllocator;

/** What a {@link BatchFunction} sees for one batch. Valid only during the call. */
public interface BatchInput {

    /** The task being run. */
    String task();

    /** The id of the source batch this data came from; increases monotonically from the source. */
    long batchId();

    /**
     * The input of a task with one input (its upstream task's output, or the source batch).
     *
     * @throws IllegalStateException when the task has several inputs; use {@link #table(String)}
     */
    ArrowTable table();

    /**
     * The input coming from {@code upstream} (a task name, or {@link StreamGraph#SOURCE}).
     *
     * @throws IllegalArgumentException when {@code upstream} does not feed this task
     */
    ArrowTable table(String upstream);

    /** Every input by upstream name, in the order the graph declares them. */
    Map<String, ArrowTable> tables();

    /**
     * A context value set with {@link StreamGraph.Builder#context(String, Object)} or under
     * {@code context} in the configuration.
     *
     * @throws IllegalArgumentException when there is no such key or it is not a {@code type}
     */
    <T> T context(String key, Class<T> type);

    /** The allocator for the batch this call returns. */
    BufferAllocator allocator();
}
