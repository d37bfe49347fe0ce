package dev.weir.engine;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.weir.engine.cache.CacheKeys;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * The outcome of a run: whether it succeeded, how each task ended, and the committed outputs, read
 * back with {@link #get(Ref, Class)}. Immutable, except that reading goes to the table store.
 *
 * <p>Inlined tables (handed between tasks in memory, never written to the store) are kept in memory by
 * the result so that {@link #get} can read them; {@link #close()} frees them. Close a result before its
 * engine.
 */
public final class Result implements AutoCloseable {

    private final String flow;
    private final String instance;
    private final String runId;
    private final boolean successful;
    private final List<TaskResult> tasks;
    private final double seconds;
    private final Throwable failure;
    private final Reader reader;

    public Result(String flow, String instance, String runId, boolean successful, List<TaskResult> tasks,
                  double seconds, Throwable failure, Reader reader) {
        this.flow = Objects.requireNonNull(flow, "flow is null");
        this.instance = Objects.requireNonNull(instance, "instance is null");
        this.runId = Objects.requireNonNull(runId, "runId is null");
        this.successful = successful;
        this.tasks = List.copyOf(tasks);
        this.seconds = seconds;
        this.failure = failure;
        this.reader = Objects.requireNonNull(reader, "reader is null");
    }

    public String flow() {
        return flow;
    }

    public String instance() {
        return instance;
    }

    public String runId() {
        return runId;
    }

    /** True when every selected task completed or hit the cache and every stage committed. */
    public boolean successful() {
        return successful;
    }

    /** Every task of the flow, in definition order. */
    public List<TaskResult> tasks() {
        return tasks;
    }

    /** The task {@code name} of {@code stage}. */
    public Optional<TaskResult> task(String stage, String name) {
        return tasks.stream().filter(t -> t.stage().equals(stage) && t.task().equals(name)).findFirst();
    }

    public Optional<TaskResult> task(TaskId id) {
        return task(id.stage(), id.name());
    }

    /**
     * The task of this name, or of {@code stage/name}; a name that several stages have is ambiguous and
     * throws naming them (use {@link #task(String, String)}).
     */
    public Optional<TaskResult> task(String name) {
        List<TaskResult> found = tasks.stream().filter(t -> t.task().equals(name)).toList();
        if (found.isEmpty() && name.lastIndexOf('/') > 0) {
            int slash = name.lastIndexOf('/');
            return task(name.substring(0, slash), name.substring(slash + 1));
        }
        if (found.size() > 1) {
            throw new IllegalArgumentException("flow '" + flow + "' has a task '" + name + "' in stages "
                    + found.stream().map(TaskResult::stage).toList() + "; name one as "
                    + String.join(" or ", found.stream().map(t -> t.stage() + "/" + t.task()).toList()));
        }
        return found.stream().findFirst();
    }

    /** The state of a task named as for {@link #task(String)}; throws when the flow has no such task. */
    public TaskState state(String task) {
        return task(task).orElseThrow(() -> new IllegalArgumentException("the flow has no task '" + task + "'")).state();
    }

    /** The state of the task {@code name} of {@code stage}; throws when the flow has no such task. */
    public TaskState state(String stage, String name) {
        return task(stage, name).orElseThrow(() -> new IllegalArgumentException("the flow has no task '" + name
                + "' in stage '" + stage + "'")).state();
    }

    public double seconds() {
        return seconds;
    }

    /** The first failure, naming flow, stage and task. */
    public Optional<Throwable> failure() {
        return Optional.ofNullable(failure);
    }

    /**
     * Reads a committed output. Tables come as {@link dev.weir.engine.data.ArrowTable} or
     * {@link org.apache.arrow.vector.ipc.ArrowReader} (the caller closes them, before the engine),
     * {@link dev.weir.engine.data.Rows}, or {@code String} (the table's quoted SQL name, for JDBC);
     * values and blobs as the type their JSON reads into. Blocking: reads from the table store.
     */
    public <T> T get(Ref ref, Class<T> type) {
        return reader.read(ref, type);
    }

    public long count(TaskState state) {
        return tasks.stream().filter(t -> t.state() == state).count();
    }

    /** One line: how many ran, hit the cache, failed, were skipped, and the wall time. */
    public String summary() {
        return String.format(java.util.Locale.ROOT, "%s %s/%s: %d ran, %d cache hits, %d failed, %d skipped in %.2f s",
                successful ? "OK" : "FAILED", flow, instance, count(TaskState.COMPLETED), count(TaskState.CACHE_VALID),
                count(TaskState.FAILED), count(TaskState.SKIPPED), seconds);
    }

    /**
     * The run report as JSON: {@code flow}, {@code instance}, {@code successful}, {@code tasks}, ….; a
     * batched task that ran has {@code "chunks": {"computed": 2, "cached": 6, "states": ["CACHED", …]}},
     * the states by chunk index.
     */
    public String toJson() {
        ObjectNode root = CacheKeys.JSON.createObjectNode();
        root.put("flow", flow);
        root.put("instance", instance);
        root.put("run_id", runId);
        root.put("successful", successful);
        root.put("seconds", seconds);
        if (failure != null) {
            root.put("error", failure.getMessage());
        }
        ArrayNode list = root.putArray("tasks");
        for (TaskResult t : tasks) {
            ObjectNode n = list.addObject();
            n.put("stage", t.stage());
            n.put("task", t.task());
            n.put("state", t.state().name());
            n.put("reason", t.reason());
            n.put("seconds", t.seconds());
            if (t.rows() >= 0) {
                n.put("rows", t.rows());
            } else {
                n.putNull("rows");
            }
            n.put("attempts", t.attempts());
            if (t.error() != null) {
                n.put("error", t.error());
            }
            if (!t.chunks().isEmpty()) {
                ObjectNode chunks = n.putObject("chunks");
                for (TaskResult.ChunkState state : TaskResult.ChunkState.values()) {
                    chunks.put(state.name().toLowerCase(java.util.Locale.ROOT), t.chunkCount(state));
                }
                ArrayNode states = chunks.putArray("states");
                t.chunks().forEach(c -> states.add(c.name()));
            }
        }
        try {
            return CacheKeys.JSON.writerWithDefaultPrettyPrinter().writeValueAsString(root);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public String toString() {
        return summary();
    }

    /** Frees the inlined tables this result holds; reading them afterwards fails. Idempotent. */
    @Override
    public void close() {
        reader.close();
    }

    /** Reads committed outputs for {@link #get}; supplied by the engine. */
    public interface Reader extends AutoCloseable {
        <T> T read(Ref ref, Class<T> type);

        @Override
        default void close() {
        }
    }
}
