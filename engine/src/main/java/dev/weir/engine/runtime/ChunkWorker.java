package dev.weir.engine.runtime;

import dev.weir.engine.Flow;
import dev.weir.engine.TaskDef;
import dev.weir.engine.batch.Chunk;
import dev.weir.engine.blob.FileBlobStore;
import dev.weir.engine.cache.CacheKeys;
import dev.weir.engine.config.InstanceConfig;
import dev.weir.engine.data.ArrowTable;
import dev.weir.engine.placement.ChunkComputed;
import dev.weir.engine.placement.ChunkError;
import dev.weir.engine.placement.ChunkUploaded;
import dev.weir.engine.placement.ChunkWork;
import dev.weir.engine.store.TableSpec;
import dev.weir.engine.store.TableStore;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.apache.arrow.memory.BufferAllocator;

/**
 * Runs a chunk of another node's run on this node: the entry point of a worker. Given the chunk as a
 * {@link ChunkWork}, this node's own copy of the flow (found by the work's flow name) and its own
 * configuration of the instance (its store connection and secrets: none travel), it runs the very code
 * a local chunk runs ({@link ChunkExecution}): reads the chunk's rows of each input from the store with
 * the run's predicates, calls the task, and, once the run grants the upload, appends the rows to the
 * output tables with the store's ledgered append, which refuses a second append of a chunk whose first
 * one committed. The chunk cache is not used on a worker.
 *
 * <p>Blocking: call it on a blocking thread. Thread-safe: chunks run in parallel, each in a
 * {@link Computation} of its own, whose Arrow memory is a child of the worker's allocator.
 */
public final class ChunkWorker implements AutoCloseable {

    private final StoreRegistry stores;
    private final BufferAllocator allocator;
    private final boolean ownsStores;

    /** A worker opening stores through {@code loader}'s store implementations, closed with it. */
    public ChunkWorker(BufferAllocator allocator, ClassLoader loader) {
        this(new StoreRegistry(loader), allocator, true);
    }

    /** A worker opening stores through {@code stores} (e.g. its engine's), which it leaves open. */
    public ChunkWorker(StoreRegistry stores, BufferAllocator allocator) {
        this(stores, allocator, false);
    }

    private ChunkWorker(StoreRegistry stores, BufferAllocator allocator, boolean ownsStores) {
        this.stores = Objects.requireNonNull(stores, "stores is null");
        this.allocator = Objects.requireNonNull(allocator, "allocator is null");
        this.ownsStores = ownsStores;
    }

    /**
     * Computes the chunk: reads its rows, calls the task, and keeps the result in memory until
     * {@link Computation#upload()} or {@link Computation#close()}. Fails naming the chunk when the flow
     * has no such batched task or the inputs differ from the flow's.
     *
     * @param node this node's address, for reports
     */
    public Computation compute(ChunkWork work, Flow flow, InstanceConfig config, String node) throws Exception {
        return compute(work, flow, config, node, (input, into) -> {
            throw new IllegalArgumentException(work.describe() + ": input '" + input + "' is an inlined table, but"
                    + " nothing brought its rows to this node");
        });
    }

    /** Where a chunk's rows of its inlined inputs come from on this node (e.g. pulled from the run's node). */
    @FunctionalInterface
    public interface InlineRows {
        /** The chunk's rows of inlined input {@code input}, in {@code into}; the caller owns them. Blocking. */
        ArrowTable rows(String input, BufferAllocator into) throws Exception;
    }

    /**
     * {@link #compute(ChunkWork, Flow, InstanceConfig, String)} for a chunk that may have inlined inputs
     * ({@link ChunkWork.InputKind#INLINE}): their rows come from {@code inline}, and are freed once the
     * chunk has computed.
     */
    public Computation compute(ChunkWork work, Flow flow, InstanceConfig config, String node, InlineRows inline)
            throws Exception {
        long start = System.nanoTime();
        if (!flow.name().equals(work.flow())) {
            throw new IllegalArgumentException(work.describe() + ": this node was given flow '" + flow.name() + "'");
        }
        TaskDef task = flow.task(work.stage(), work.task()).orElseThrow(() -> new IllegalArgumentException(
                work.describe() + ": flow '" + flow.name() + "' on this node has no task '" + work.task()
                        + "' in stage '" + work.stage() + "' (is the worker's flow the coordinator's?)"));
        if (work.attrsHash() != null && !work.attrsHash().equals(ChunkExecution.attrsHash(config))) {
            throw new IllegalArgumentException(work.describe() + ": instance '" + config.instanceName()
                    + "' has other attrs on this node than in the run (its configuration's attrs, or a --param the"
                    + " run was given), so the task's code would compute other rows than the run's; give the node"
                    + " the same configuration and the same --param values (weir node --param KEY=VALUE)");
        }
        if (!task.batched()) {
            throw new IllegalArgumentException(work.describe() + ": task '" + task.name() + "' on this node is not"
                    + " batched (is the worker's flow the coordinator's?)");
        }
        TableStore store = stores.open(config.tableStore());
        Map<String, String> committed = new HashMap<>();
        Map<String, String> transaction = new HashMap<>();
        transaction.put(work.stage(), work.outputSchema());
        List<InputSpec> declared = inputs(work, task, committed, transaction);
        BufferAllocator chunkAllocator = allocator.newChildAllocator("work-" + work.runId() + "-" + work.stage() + "-"
                + work.task() + "-" + work.chunk() + "-" + work.attempt(), 0, Long.MAX_VALUE);
        ChunkExecution chunks = null;
        List<ArrowTable> pulled = new ArrayList<>();
        try {
            List<InputSpec> inputs = new ArrayList<>();
            for (int i = 0; i < declared.size(); i++) {
                ChunkWork.Input in = work.inputs().get(i);
                if (in.kind() == ChunkWork.InputKind.INLINE) {
                    ArrowTable rows = inline.rows(in.name(), chunkAllocator);
                    pulled.add(rows);
                    inputs.add(declared.get(i).withInline(rows));
                } else {
                    inputs.add(declared.get(i));
                }
            }
            TaskExecution execution = new TaskExecution(flow, config, store, new FileBlobStore(config.blobStoreDir()),
                    chunkAllocator, chunkAllocator, work.runId()).withSchemas(committed, transaction);
            TaskPlan plan = new TaskPlan(task, TaskPlan.Decision.RUN, "placed", work.positionKey(), work.fullKey(),
                    work.cacheFnHash(), null, List.of(), java.util.Set.of(), false);
            chunks = new ChunkExecution(execution, plan, inputs, true);
            Chunk chunk = new Chunk(work.chunk(), work.predicate(), work.label());
            ChunkExecution.ChunkResult result = chunks.compute(chunk, work.attempt());
            pulled.forEach(ArrowTable::close); // the chunk read its views of them
            pulled.clear();
            List<ChunkComputed.Output> outputs = new ArrayList<>();
            for (Map.Entry<String, ArrowTable> e : result.data().entrySet()) {
                OutputShape shape = result.shapes().get(e.getKey());
                TableSpec spec = shape.spec();
                outputs.add(new ChunkComputed.Output(e.getKey(), shape.table(), e.getValue().schema().toJson(),
                        e.getValue().rowCount(), spec.primaryKey(), spec.indexes()));
            }
            ChunkComputed computed = new ChunkComputed(outputs, null, false, node, seconds(start));
            return new Computation(work, chunks, result, chunk, computed, chunkAllocator, node);
        } catch (Exception | Error e) {
            try {
                pulled.forEach(ArrowTable::close);
                if (chunks != null) {
                    chunks.close();
                }
            } finally {
                chunkAllocator.close();
            }
            throw e;
        }
    }

    /** The task's inputs as the run resolved them; the tables' schemas are noted by stage. */
    private static List<InputSpec> inputs(ChunkWork work, TaskDef task, Map<String, String> committed,
                                          Map<String, String> transaction) {
        if (work.inputs().size() != task.inputs().size()) {
            throw new IllegalArgumentException(work.describe() + ": the run sent " + work.inputs().size()
                    + " inputs, but the task on this node has " + task.inputs().size()
                    + " (is the worker's flow the coordinator's?)");
        }
        List<InputSpec> inputs = new ArrayList<>();
        for (int i = 0; i < task.inputs().size(); i++) {
            TaskDef.Input declared = task.inputs().get(i);
            ChunkWork.Input in = work.inputs().get(i);
            if (!declared.name().equals(in.name())) {
                throw new IllegalArgumentException(work.describe() + ": input " + (i + 1) + " is '" + in.name()
                        + "' in the run but '" + declared.name() + "' on this node (is the worker's flow the"
                        + " coordinator's?)");
            }
            switch (in.kind()) {
                case CONSTANT -> inputs.add(new InputSpec(in.name(), declared.type(), null, null, null, false,
                        declared.constant(), null, null));
                case VALUE -> {
                    com.fasterxml.jackson.databind.JsonNode value;
                    try {
                        value = CacheKeys.JSON.readTree(in.json());
                    } catch (java.io.IOException e) {
                        throw new IllegalArgumentException(work.describe() + ": input '" + in.name()
                                + "' is not JSON: " + e.getMessage(), e);
                    }
                    inputs.add(new InputSpec(in.name(), declared.type(), OutputSet.Output.value(in.output(), value),
                            in.producerStage(), in.producerTask(), in.inTransaction(), null, null, null));
                }
                case TABLE -> {
                    Map<String, String> schemas = in.inTransaction() ? transaction : committed;
                    String known = schemas.putIfAbsent(in.producerStage(), in.schema());
                    if (known != null && !known.equals(in.schema())) {
                        throw new IllegalArgumentException(work.describe() + ": stage '" + in.producerStage()
                                + "' is both schema " + known + " and " + in.schema());
                    }
                    inputs.add(new InputSpec(in.name(), declared.type(), OutputSet.Output.table(in.output(), in.table(),
                            -1, TableSpec.NONE), in.producerStage(), in.producerTask(), in.inTransaction(), null,
                            null, in.where()));
                }
                case INLINE -> inputs.add(new InputSpec(in.name(), declared.type(), OutputSet.Output.inline(in.output(),
                        in.table(), -1), in.producerStage(), in.producerTask(), in.inTransaction(), null, null, null));
            }
        }
        return inputs;
    }

    /**
     * A failure as a value for the run: the class and message of the exception (of its first cause that
     * names more than its wrapper), and whether a retry may cure it (a transient store error).
     */
    public static ChunkError error(Throwable e, String node) {
        Throwable t = Failures.unwrap(e);
        StringBuilder message = new StringBuilder(t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage());
        for (Throwable cause = t.getCause(); cause != null && cause != cause.getCause(); cause = cause.getCause()) {
            if (cause.getMessage() != null && !message.toString().contains(cause.getMessage())) {
                message.append(": ").append(cause.getMessage());
            }
        }
        return new ChunkError(t.getClass().getName(), message.toString(), Failures.isTransient(t), node);
    }

    private static double seconds(long start) {
        return (System.nanoTime() - start) / 1e9;
    }

    @Override
    public void close() {
        if (ownsStores) {
            stores.close();
        }
    }

    /** A computed chunk held on this node until the run grants its upload; closing it frees the data. */
    public static final class Computation implements AutoCloseable {
        private final ChunkWork work;
        private final ChunkExecution execution;
        private final Chunk chunk;
        private final ChunkComputed computed;
        private final BufferAllocator allocator;
        private final String node;
        private ChunkExecution.ChunkResult result;
        private boolean closed;

        private Computation(ChunkWork work, ChunkExecution execution, ChunkExecution.ChunkResult result, Chunk chunk,
                            ChunkComputed computed, BufferAllocator allocator, String node) {
            this.work = work;
            this.execution = execution;
            this.result = result;
            this.chunk = chunk;
            this.computed = computed;
            this.allocator = allocator;
            this.node = node;
        }

        public ChunkWork work() {
            return work;
        }

        public ChunkComputed computed() {
            return computed;
        }

        /**
         * Appends the chunk to the output tables the run created (blocking), and frees its data. A chunk whose
         * earlier attempt's append committed is not appended again: its rows are those of that attempt.
         */
        public synchronized ChunkUploaded upload() throws Exception {
            if (result == null) {
                throw new IllegalStateException(work.describe() + " is uploaded or closed already");
            }
            long start = System.nanoTime();
            ChunkExecution.ChunkResult uploading = result;
            result = null; // the upload frees it
            try {
                execution.upload(uploading, work.attempt());
                return new ChunkUploaded(execution.rowsOf(chunk), false, node, seconds(start));
            } finally {
                close();
            }
        }

        /** Frees the data (unless uploaded) and the chunk's memory; once. */
        @Override
        public synchronized void close() {
            if (closed) {
                return;
            }
            closed = true;
            try {
                if (result != null) {
                    result.close();
                    result = null;
                }
                execution.close();
            } finally {
                allocator.close();
            }
        }
    }
}
