package dev.weir.engine.runtime;

import com.fasterxml.jackson.databind.JsonNode;
import dev.weir.engine.Blob;
import dev.weir.engine.Flow;
import dev.weir.engine.Ref;
import dev.weir.engine.Sql;
import dev.weir.engine.Table;
import dev.weir.engine.TaskDef;
import dev.weir.engine.TaskFailedException;
import dev.weir.engine.blob.FileBlobStore;
import dev.weir.engine.cache.CacheKeys;
import dev.weir.engine.config.InstanceConfig;
import dev.weir.engine.data.ArrowTable;
import dev.weir.engine.data.Rows;
import dev.weir.engine.store.StoreException;
import dev.weir.engine.store.TableLocation;
import dev.weir.engine.store.TableSpec;
import dev.weir.engine.store.TableStore;
import dev.weir.engine.store.TaskRecord;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.ipc.ArrowReader;

/**
 * One attempt of one task, start to end: dematerialize the inputs, call the task, materialize its
 * outputs (or hand them over in memory), and record the cache entry; and a stage's cache hits, carried
 * forward in one go. Blocking: runs on the blocking
 * dispatcher, called by {@code TaskRun}. Each attempt gets its own child allocator, closed at the
 * end, so a leaked buffer fails the task instead of going unnoticed.
 */
final class TaskExecution {

    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(TaskExecution.class);

    private final Flow flow;
    private final InstanceConfig config;
    private final TableStore store;
    private final FileBlobStore blobs;
    private final BufferAllocator runAllocator;
    private final BufferAllocator inlineAllocator;
    private final String runId;
    /** Schemas as another node resolved them, by stage: a chunk run on a worker reads and writes these. */
    private final Map<String, String> committedSchemas;
    private final Map<String, String> transactionSchemas;
    /** Where the run's chunks run when not in this JVM, or null. */
    private final dev.weir.engine.placement.ChunkPlacement placement;
    private final LocalTableFiles localTables;
    /**
     * The tables of stage transactions that this run's tasks write or carry forward, named before they are
     * created: a raw SQL script's outputs are the tables it created, not those other tasks of its stage
     * wrote meanwhile. Shared by every copy of this execution.
     */
    private final Set<TableLocation> written;
    /**
     * The task that writes or carries forward each table of a stage transaction in this run: two tasks of a stage
     * returning tables of one name would overwrite each other's, so the second is refused.
     */
    private final Map<TableLocation, dev.weir.engine.TaskId> owners;
    /** Held by a raw SQL script from listing its stage's tables before it to listing them after it. */
    private final java.util.concurrent.locks.ReentrantLock scriptLock;

    /**
     * @param runAllocator    the run's allocator; each attempt takes a child of it
     * @param inlineAllocator where inlined tables are moved to: it outlives the run, since the run's
     *                        {@code Result} may keep them
     */
    TaskExecution(Flow flow, InstanceConfig config, TableStore store, FileBlobStore blobs,
                  BufferAllocator runAllocator, BufferAllocator inlineAllocator, String runId) {
        this.flow = flow;
        this.config = config;
        this.store = store;
        this.blobs = blobs;
        this.runAllocator = runAllocator;
        this.inlineAllocator = inlineAllocator;
        this.runId = runId;
        this.committedSchemas = Map.of();
        this.transactionSchemas = Map.of();
        this.placement = null;
        this.localTables = config.localTableCache().enabled()
                ? new LocalTableFiles(config.localTableCache(), TaskExecution.class.getClassLoader()) : null;
        this.written = java.util.concurrent.ConcurrentHashMap.newKeySet();
        this.owners = new java.util.concurrent.ConcurrentHashMap<>();
        this.scriptLock = new java.util.concurrent.locks.ReentrantLock();
    }

    private TaskExecution(TaskExecution base, Map<String, String> committedSchemas,
                          Map<String, String> transactionSchemas, dev.weir.engine.placement.ChunkPlacement placement) {
        this.flow = base.flow;
        this.config = base.config;
        this.store = base.store;
        this.blobs = base.blobs;
        this.runAllocator = base.runAllocator;
        this.inlineAllocator = base.inlineAllocator;
        this.runId = base.runId;
        this.committedSchemas = Map.copyOf(committedSchemas);
        this.transactionSchemas = Map.copyOf(transactionSchemas);
        this.localTables = base.localTables;
        this.placement = placement;
        this.written = base.written;
        this.owners = base.owners;
        this.scriptLock = base.scriptLock;
    }

    /**
     * This execution with the schemas of some stages fixed as the run resolved them (a chunk run on a
     * worker node, whose own naming must not decide where the run's tables are).
     */
    TaskExecution withSchemas(Map<String, String> committed, Map<String, String> transaction) {
        return new TaskExecution(this, committed, transaction, placement);
    }

    /** This execution, placing its batched tasks' chunks with {@code chunks} (null: in this JVM). */
    TaskExecution withPlacement(dev.weir.engine.placement.ChunkPlacement chunks) {
        return new TaskExecution(this, committedSchemas, transactionSchemas, chunks);
    }

    /** Where the run's chunks run when not in this JVM, or null. */
    dev.weir.engine.placement.ChunkPlacement placement() {
        return placement;
    }

    /** The instance's local table cache, or null when it has none. */
    LocalTableFiles localTables() {
        return localTables;
    }

    TaskOutcome execute(TaskPlan plan, List<InputSpec> inputs, int attempt) {
        long start = System.nanoTime();
        TaskDef task = plan.task();
        Map<String, ArrowTable> inlined = new LinkedHashMap<>();
        try {
            if (plan.decision() == TaskPlan.Decision.HIT) {
                // a deferred task found valid once its inputs were ready: carried forward on its own
                carryForward(List.of(plan));
                return new TaskOutcome(task.id(), plan.cached(), null, false, seconds(start), inlined);
            }
            OutputSet outputs = run(plan, inputs, attempt, inlined);
            store.recordTask(new TaskRecord(task.stage(), task.name(), plan.positionKey(), outputs.toJson(), runId,
                    Instant.now()));
            return new TaskOutcome(task.id(), outputs, null, false, seconds(start), inlined);
        } catch (Throwable e) {
            inlined.values().forEach(ArrowTable::close);
            boolean transientFailure = Failures.isTransient(e);
            return new TaskOutcome(task.id(), null, failure(task, e), transientFailure, seconds(start), null);
        }
    }

    /**
     * The tables of tasks resumed from a kept attempt of their stage are theirs in this run, as a cache hit's
     * are: a task of the stage returning a table of the same name is refused rather than overwriting it (the
     * resumed task's output would then be the other task's rows).
     */
    void claimResumed(List<TaskPlan> resumed) {
        for (TaskPlan task : resumed) {
            for (OutputSet.Output table : task.cached().tables()) {
                claim(task.task(), table.table());
            }
        }
    }

    /**
     * Carries cache hits forward into their stage's transaction: every table in one store call (one
     * transaction), the blobs, and the cache entries again (a commit replaces the stage's entries).
     */
    void carryForward(List<TaskPlan> hits) {
        List<dev.weir.engine.store.TableCopy> copies = new ArrayList<>();
        for (TaskPlan hit : hits) {
            for (OutputSet.Output table : hit.cached().tables()) {
                claim(hit.task(), table.table());
                copies.add(new dev.weir.engine.store.TableCopy(committed(hit.stage(), table.table()),
                        transaction(hit.stage(), table.table()), table.spec()));
            }
        }
        store.copyTables(copies);
        for (TaskPlan hit : hits) {
            for (OutputSet.Output blob : hit.cached().blobs()) {
                blobs.copyForward(hit.stage(), blob.table());
            }
            store.recordTask(new TaskRecord(hit.stage(), hit.name(), hit.positionKey(), hit.cached().toJson(), runId,
                    Instant.now()));
        }
    }

    private OutputSet run(TaskPlan plan, List<InputSpec> inputs, int attempt, Map<String, ArrowTable> inlined)
            throws Exception {
        TaskDef task = plan.task();
        try (BufferAllocator allocator = MemoryBudgets.task(runAllocator, task.name() + "-" + attempt, config.memory());
             RunTaskContext ctx = new RunTaskContext(this, task, inputs, allocator)) {
            List<OutputSet.Output> outputs = new ArrayList<>();
            String keepKey = plan.fresh() ? null : plan.fullKey();
            switch (task.kind()) {
                case FUNCTION -> {
                    Object returned = task.function().call(ctx);
                    Map<String, Object> matched = matchOutputs(task, returned);
                    for (Map.Entry<String, Object> e : matched.entrySet()) {
                        if (e.getValue() instanceof Table table && inlines(plan, e.getKey(), table)) {
                            ArrowTable data = inMemory(table.payload());
                            String refused = refusedByBatchedReader(plan, e.getKey(), data.schema());
                            if (refused != null) {
                                LOG.debug("Output '{}' of task '{}' is not inlined: {}", e.getKey(), task.name(), refused);
                                outputs.add(materializeOutput(task, e.getKey(), table.withPayload(data), allocator,
                                        keepKey));
                                continue;
                            }
                            inlined.put(e.getKey(), data);
                            String tableName = table.name() != null ? table.name() : e.getKey();
                            if (localTables != null && localTables.storesOutputs()) {
                                // never in the store, but kept here all the same (seed 000)
                                localTables.store(task.stage(), tableName, keepKey, data);
                            }
                            outputs.add(OutputSet.Output.inline(e.getKey(), tableName, data.rowCount()));
                        } else {
                            outputs.add(materializeOutput(task, e.getKey(), e.getValue(), allocator, keepKey));
                        }
                    }
                }
                case LAZY -> {
                    Map<String, String> names = new LinkedHashMap<>();
                    for (InputSpec in : inputs) {
                        if (in.output() != null) {
                            names.put(in.name(), ctx.sqlName(in.name()));
                        }
                    }
                    int table = 0;
                    for (String output : task.outputs()) {
                        com.fasterxml.jackson.databind.JsonNode value = plan.lazyValues().get(output);
                        if (value != null) {
                            outputs.add(OutputSet.Output.value(output, value));
                            continue;
                        }
                        Table t = plan.lazyTables().get(table++);
                        String query = Planner.substitute(((Sql) t.payload()).query(), names);
                        outputs.add(materializeOutput(task, output, t.withPayload(Sql.of(query)), allocator));
                    }
                }
                case RAW_SQL -> outputs.addAll(runScript(task, ctx));
            }
            return new OutputSet(task.version(), plan.cacheFnHash(), plan.fullKey(), outputs, ctx.extraTables());
        }
    }

    /**
     * Whether an output is handed to its consumers in memory: the planner found every consumer able to
     * take Arrow data, the payload is data (not a query), and the instance's inline mode and the
     * table's hint agree (seed 000: default-* applies to tables without a hint, force-* overrides them).
     */
    private boolean inlines(TaskPlan plan, String output, Table table) {
        if (!plan.inlineable().contains(output) || table.payload() instanceof Sql) {
            return false;
        }
        Boolean hint = table.inlineHint();
        return switch (config.inline()) {
            case FORCE_TRUE -> true;
            case FORCE_FALSE -> false;
            case DEFAULT_TRUE -> hint == null || hint;
            case DEFAULT_FALSE -> hint != null && hint;
        };
    }

    /**
     * Why a batched task reading this output cannot select its chunks' rows of it in memory
     * ({@link dev.weir.engine.batch.InvocationHook#filtersInMemory}), or null when none objects. Every
     * batched reader in the flow is asked, whether or not it runs now: a reader that must run later
     * forces this task to run again anyway, and a stable answer keeps the output's kind stable.
     */
    private String refusedByBatchedReader(TaskPlan plan, String output, org.apache.arrow.vector.types.pojo.Schema schema) {
        Ref ref = new Ref(plan.stage(), plan.name(), output);
        for (TaskDef reader : flow.tasks()) {
            if (!reader.batched()) {
                continue;
            }
            for (TaskDef.Input in : reader.inputs()) {
                if (ref.equals(in.ref()) && !reader.invocation().filtersInMemory(in.name(), schema)) {
                    return "batched task '" + reader.name() + "' (" + reader.invocation().describe()
                            + ") cannot select its chunks' rows of input '" + in.name() + "' in memory, so they read"
                            + " them from the store";
                }
            }
        }
        return null;
    }

    /** The payload as an Arrow table of the inline allocator, outliving this task's allocator. */
    private ArrowTable inMemory(Object payload) {
        if (payload instanceof ArrowTable arrow) {
            return arrow.transferTo(inlineAllocator);
        }
        if (payload instanceof VectorSchemaRoot root) {
            return ArrowTable.of(root).transferTo(inlineAllocator);
        }
        if (payload instanceof ArrowReader stream) {
            try (stream) {
                return ArrowTable.readAll(stream, inlineAllocator);
            } catch (java.io.IOException e) {
                throw new StoreException("cannot close an inlined stream", e);
            }
        }
        return ((Rows) payload).toArrow(inlineAllocator);
    }

    private static Map<String, Object> matchOutputs(TaskDef task, Object returned) {
        try {
            return ReturnedOutputs.match(task, returned);
        } catch (IllegalArgumentException e) {
            throw new TaskShapeException(e.getMessage());
        }
    }

    /** Writes one returned item and says what it became. Takes ownership of Arrow payloads. */
    OutputSet.Output materializeOutput(TaskDef task, String output, Object item, BufferAllocator allocator) {
        return materializeOutput(task, output, item, allocator, null);
    }

    /**
     * As {@link #materializeOutput(TaskDef, String, Object, BufferAllocator)}; a table of Arrow data is also
     * kept in the local table cache under {@code keepKey} when outputs are kept there (null: not kept).
     */
    OutputSet.Output materializeOutput(TaskDef task, String output, Object item, BufferAllocator allocator,
                                       String keepKey) {
        if (item == null) {
            return OutputSet.Output.value(output, com.fasterxml.jackson.databind.node.NullNode.getInstance());
        }
        if (item instanceof Table table) {
            String tableName = table.name() != null ? table.name() : output;
            claim(task, tableName);
            TableSpec spec = new TableSpec(table.primaryKeyColumns(), table.indexes());
            long rows = writeTable(task.stage(), tableName, table.payload(), spec, allocator, keepKey);
            return OutputSet.Output.table(output, tableName, rows, spec);
        }
        if (item instanceof Blob blob) {
            byte[] bytes = blob.value() instanceof byte[] raw ? raw : json(task, output, blob.value());
            return OutputSet.Output.blob(output, blobs.write(task.stage(), blob.name() != null ? blob.name() : output, bytes));
        }
        if (item instanceof ArrowTable || item instanceof Rows || item instanceof VectorSchemaRoot || item instanceof Sql
                || item instanceof ArrowReader) {
            closeQuietly(item);
            throw new TaskShapeException("output '" + output + "' is a bare " + item.getClass().getSimpleName()
                    + "; wrap it as Table.of(value) so it is materialized as a table");
        }
        try {
            JsonNode value = CacheKeys.JSON.valueToTree(item);
            return OutputSet.Output.value(output, value);
        } catch (IllegalArgumentException e) {
            throw new TaskShapeException("output '" + output + "' is a " + item.getClass().getName()
                    + ", which is neither a Table, a Blob nor a value Jackson can write as JSON: " + e.getMessage());
        }
    }

    /** Records that {@code task} writes {@code table} of its stage; refused when another task of the stage does. */
    private void claim(TaskDef task, String table) {
        dev.weir.engine.TaskId other = owners.putIfAbsent(transaction(task.stage(), table), task.id());
        if (other != null && !other.equals(task.id())) {
            throw new TaskShapeException("table '" + table + "' of stage '" + task.stage() + "' is written by task '"
                    + other.name() + "' of the stage too, and one would overwrite the other; give each task's tables"
                    + " names of their own (Table.of(data, \"name\"))");
        }
    }

    private long writeTable(String stage, String tableName, Object payload, TableSpec spec, BufferAllocator allocator,
                            String keepKey) {
        TableLocation target = transaction(stage, tableName);
        if (payload instanceof Sql sql) {
            return store.writeSql(target, sql.query(), spec);
        }
        if (payload instanceof ArrowReader stream) {
            try (stream) {
                return store.writeArrow(target, stream, spec);
            } catch (java.io.IOException e) {
                throw new StoreException("cannot close the stream written to table '" + tableName + "'", e);
            }
        }
        try (ArrowTable arrow = payload instanceof ArrowTable a ? a
                : payload instanceof VectorSchemaRoot root ? ArrowTable.of(root)
                : ((Rows) payload).toArrow(allocator);
             ArrowReader reader = arrow.reader(allocator)) {
            long rows = store.writeArrow(target, reader, spec);
            if (keepKey != null && localTables != null && localTables.storesOutputs()) {
                localTables.store(stage, tableName, keepKey, arrow);
            }
            return rows;
        } catch (java.io.IOException e) {
            throw new StoreException("cannot read the Arrow data of table '" + tableName + "'", e);
        }
    }

    /**
     * Runs a raw SQL script; its outputs are the tables of the stage's transaction that are new after it and
     * that no other task of the run wrote meanwhile. Scripts take turns (another one's tables would look
     * like this one's), waiting as long as the task may run: its timeout interrupts the wait.
     */
    private List<OutputSet.Output> runScript(TaskDef task, RunTaskContext ctx) throws InterruptedException {
        String schema = store.transactionSchema(task.stage());
        String script = task.rawScript().replace("{out}", store.quote(schema));
        Map<String, String> names = new LinkedHashMap<>();
        for (TaskDef.Input in : task.inputs()) {
            names.put(in.name(), ctx.sqlName(in.name()));
        }
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("\\{([A-Za-z_][A-Za-z0-9_]*)}").matcher(script);
        StringBuilder rendered = new StringBuilder();
        while (m.find()) {
            String replacement = names.get(m.group(1));
            m.appendReplacement(rendered, java.util.regex.Matcher.quoteReplacement(
                    replacement != null ? replacement : m.group()));
        }
        m.appendTail(rendered);
        List<String> created = new ArrayList<>();
        scriptLock.lockInterruptibly();
        try {
            Set<String> before = new HashSet<>(store.listTables(schema));
            store.executeScript(rendered.toString());
            for (String table : store.listTables(schema)) {
                TableLocation location = new TableLocation(schema, table);
                // a table another task wrote was named in written before it was created, so before this listing
                if (!before.contains(table) && !written.contains(location)) {
                    created.add(table);
                }
            }
            created.forEach(table -> written.add(new TableLocation(schema, table)));
        } finally {
            scriptLock.unlock();
        }
        List<OutputSet.Output> outputs = new ArrayList<>();
        for (String table : created) {
            outputs.add(OutputSet.Output.table(table, table, store.rowCount(new TableLocation(schema, table)),
                    TableSpec.NONE));
        }
        return outputs;
    }

    private byte[] json(TaskDef task, String output, Object value) {
        try {
            return CacheKeys.JSON.writeValueAsBytes(value);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new TaskShapeException("blob '" + output + "' cannot be written as JSON: " + e.getOriginalMessage());
        }
    }

    TableLocation committed(String stage, String table) {
        String schema = committedSchemas.get(stage);
        return new TableLocation(schema != null ? schema : store.committedSchema(stage), table);
    }

    /** Where {@code table} of {@code stage} is written in this run; a raw SQL script does not claim it. */
    TableLocation transaction(String stage, String table) {
        String schema = transactionSchemas.get(stage);
        TableLocation location = new TableLocation(schema != null ? schema : store.transactionSchema(stage), table);
        written.add(location);
        return location;
    }

    TableStore store() {
        return store;
    }

    BufferAllocator runAllocator() {
        return runAllocator;
    }

    String runId() {
        return runId;
    }

    FileBlobStore blobs() {
        return blobs;
    }

    Flow flow() {
        return flow;
    }

    InstanceConfig config() {
        return config;
    }

    private TaskFailedException failure(TaskDef task, Throwable error) {
        if (error instanceof TaskFailedException tfe) {
            return tfe;
        }
        Throwable e = MemoryBudgets.explain(error, config);
        String problem = e instanceof TaskShapeException || e instanceof StoreException
                || e instanceof dev.weir.engine.MemoryBudgetException ? e.getMessage() : e.toString();
        return new TaskFailedException(flow.name(), task.stage(), task.name(), problem, e);
    }

    static void closeQuietly(Object item) {
        if (item instanceof AutoCloseable c) {
            try {
                c.close();
            } catch (Exception ignored) {
                // the task's mistake is reported; a close failure would only hide it
            }
        }
    }

    private static double seconds(long startNanos) {
        return (System.nanoTime() - startNanos) / 1e9;
    }

    /** The task returned something of the wrong shape. */
    static final class TaskShapeException extends RuntimeException {
        TaskShapeException(String message) {
            super(message);
        }
    }
}
