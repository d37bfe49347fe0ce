package dev.weir.engine;

import com.typesafe.config.Config;
import dev.weir.engine.config.InstanceConfig;
import java.util.Map;
import org.apache.arrow.memory.BufferAllocator;

/**
 * What a running task sees: its inputs, its instance and a way to materialize tables before it
 * returns. Valid only during the task's call, on the thread that called it.
 */
public interface TaskContext {

    /** The flow being run. */
    String flow();

    /** The stage of this task. */
    String stage();

    /** This task's name. */
    String task();

    /** The instance being run. */
    InstanceConfig config();

    /** The instance's free-form attributes ({@code attrs} in the configuration). */
    default Config attrs() {
        return config().attrs();
    }

    /**
     * An input, dematerialized as {@code type}. Table inputs come as
     * {@link dev.weir.engine.data.ArrowTable}, {@link dev.weir.engine.data.Rows} or
     * {@link org.apache.arrow.vector.ipc.ArrowReader}; the engine owns what it hands out and closes it
     * after the task returns. Blob inputs come as {@code byte[]} or as the type their JSON reads into;
     * value inputs as the type their JSON reads into; constants as they were bound.
     *
     * @throws IllegalArgumentException when the task has no such input or it cannot be had as {@code type}
     */
    <T> T input(String name, Class<T> type);

    /**
     * The quoted, qualified SQL name of a table input, for queries run inside the store (lazy tasks,
     * raw SQL).
     */
    String sqlName(String input);

    /**
     * For tasks declared with {@code sourceInstance(...)}: the committed tables of the source
     * instance's stage, by table name, as SQL names this store can read.
     */
    Map<String, String> sourceTables();

    /**
     * Materializes a table now, before the task returns (imperative materialization), and returns its
     * quoted SQL name so later statements of this task can read it. The table becomes one of this
     * task's outputs: it is cached and carried forward with them.
     */
    String materialize(Table table);

    /**
     * A new, empty directory for files this task writes outside the table store (Parquet, say), kept
     * under {@code name} among the task's files. It is the stage's staging area for this run: the
     * stage's commit publishes it, by a rename, as {@code <blob store>/<stage>/<name>}, or it is never
     * published. A run killed while writing leaves the last published files as they were, and a cache
     * hit whose published files are missing or older than its commit runs the task again. The files
     * are carried forward with the task's outputs on a cache hit. Not for chunks of batched tasks.
     */
    java.nio.file.Path directory(String name);

    /** The allocator for Arrow data this task creates; the engine checks it for leaks. */
    BufferAllocator allocator();

    /**
     * Where the calls of a streaming graph this task runs should go: give it to a
     * {@link dev.weir.engine.stream.StreamExecutor}. On a run whose chunk placement also places streaming
     * calls (a cluster's, {@code weir run --cluster}), the graph's calls run on worker nodes, which build
     * the graph from the flow's code by {@code graph} (see {@link NamedFlow#streamGraph}); otherwise null,
     * and the executor runs them in this JVM.
     */
    default dev.weir.engine.stream.BatchPlacement streamPlacement(String graph,
                                                                 dev.weir.engine.stream.StreamGraph definition) {
        return null;
    }
}
