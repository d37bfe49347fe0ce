package dev.weir.engine.runtime;

import dev.weir.engine.cache.CacheKeys;

import dev.weir.engine.Table;
import dev.weir.engine.TaskDef;
import dev.weir.engine.TaskFailedException;
import dev.weir.engine.TaskResult.ChunkState;
import dev.weir.engine.batch.Chunk;
import dev.weir.engine.batch.ChunkPlanning;
import dev.weir.engine.batch.IntegerBuckets;
import dev.weir.engine.batch.InvocationHook;
import dev.weir.engine.batch.RowFilter;
import dev.weir.engine.cache.CacheKeys;
import dev.weir.engine.data.ArrowTable;
import dev.weir.engine.data.Rows;
import dev.weir.engine.store.StoreException;
import dev.weir.engine.store.TableLocation;
import dev.weir.engine.store.TableSpec;
import dev.weir.engine.store.TableStore;
import dev.weir.engine.store.TaskRecord;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.ipc.ArrowReader;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The blocking work of a batched task, for its {@link BatchedTaskRun} and {@link ChunkRun}s: prepare
 * the chunks, compute one chunk (its rows of the inputs only), append it to the task's output tables in
 * the stage's transaction ({@link ChunkOutputs}: a retried chunk is never appended twice), and seal the
 * outputs. Thread-safe: chunks run in parallel.
 *
 * <p>An inlined input arrives as this task's own view of the producer's data, shared by its chunks:
 * each chunk reads its rows of it through {@link InvocationHook#restrictInMemory} into a table of its
 * own ({@link InlineChunks}). Its {@link BatchedTaskRun} closes the view once every chunk has ended.
 *
 * <p>With {@link InvocationHook#cacheChunks()}, each chunk first computes its key ({@link ChunkKeys});
 * a chunk whose entry is in the {@link ChunkCache} is uploaded from it and never computed, and a
 * computed chunk is written to the cache after its upload. {@link #close()} releases the cache.
 */
final class ChunkExecution implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(ChunkExecution.class);

    private final TaskExecution execution;
    private final TaskPlan plan;
    private final List<InputSpec> inputs;
    private final InvocationHook hook;
    private final ChunkCache cache;
    private final ChunkKeys keys;
    private final ChunkOutputs outputs;
    private final Map<Integer, String> usedKeys = new ConcurrentHashMap<>();
    /**
     * This task's Arrow memory ({@code memory.task}): its chunks' allocators ({@code memory.chunk}) are its
     * children, what they computed moves here to wait for its upload, and the split input's buffers are here.
     */
    private final BufferAllocator taskAllocator;
    /** The most Arrow memory one chunk of this task held while computing, so far (0: none computed yet). */
    private final java.util.concurrent.atomic.AtomicLong chunkPeak = new java.util.concurrent.atomic.AtomicLong();
    /** The inputs split once among the chunks ({@link #route}), or null: each chunk selects its own rows. */
    private volatile ChunkRoutes routes;

    /** True in a worker node's execution of a chunk of another node's run. */
    private final boolean onWorker;
    /** A chunk of the task ran on another node. */
    private volatile boolean ranRemotely;

    ChunkExecution(TaskExecution execution, TaskPlan plan, List<InputSpec> inputs) {
        this(execution, plan, inputs, false);
    }

    /**
     * @param onWorker true on a worker node running a chunk of another node's run: the inputs carry the
     *                 predicates that run resolved, the run creates the output tables, and the chunk cache
     *                 (files of the run's node) is not used
     */
    ChunkExecution(TaskExecution execution, TaskPlan plan, List<InputSpec> inputs, boolean onWorker) {
        this.execution = execution;
        this.plan = plan;
        this.inputs = List.copyOf(inputs);
        this.onWorker = onWorker;
        this.hook = plan.task().invocation();
        String owner = "task '" + plan.name() + "' of stage '" + plan.stage() + "'";
        this.cache = hook.cacheChunks() && !onWorker ? new ChunkCache(execution.config().workDir(), plan.stage(), plan.name(), owner,
                ChunkExecution.class.getClassLoader()) : null;
        this.keys = hook.cacheChunks() && !onWorker ? new ChunkKeys(execution.store(), plan,
                CacheKeys.hash(execution.flow().name(), TaskKeys.attrsJson(execution.config())), this.inputs, this::location,
                execution.runAllocator()) : null;
        this.outputs = new ChunkOutputs(execution.store(), table -> execution.transaction(plan.stage(), table), owner,
                onWorker);
        this.taskAllocator = MemoryBudgets.task(execution.runAllocator(), plan.name(), execution.config().memory());
    }

    dev.weir.engine.Flow flow() {
        return execution.flow();
    }

    dev.weir.engine.config.InstanceConfig config() {
        return execution.config();
    }

    TaskPlan plan() {
        return plan;
    }

    InvocationHook hook() {
        return hook;
    }

    /**
     * The hook's chunks, checked: a list, no null chunk, no two with one index (the index keys a chunk's
     * slice of each output and its actor). Blocking: user code.
     */
    List<Chunk> prepare() throws Exception {
        List<Chunk> chunks = hook.prepare(new Planning());
        if (chunks == null) {
            throw new HookLimits.InvalidHook("the invocation hook " + hook.describe()
                    + " returned null instead of a list of chunks");
        }
        if (chunks.isEmpty()) {
            throw new HookLimits.InvalidHook("the invocation hook " + hook.describe() + " prepared no chunks");
        }
        java.util.Set<Integer> indexes = new java.util.HashSet<>();
        for (Chunk chunk : chunks) {
            if (chunk == null) {
                throw new HookLimits.InvalidHook("the invocation hook " + hook.describe()
                        + " prepared a null chunk among " + chunks.size());
            }
            if (!indexes.add(chunk.index())) {
                throw new HookLimits.InvalidHook("the invocation hook " + hook.describe()
                        + " prepared two chunks with index " + chunk.index() + "; every chunk needs its own index");
            }
        }
        return List.copyOf(chunks);
    }

    /**
     * Splits the inputs among {@code chunks} once, where the hook has a {@link InvocationHook#route router}
     * and every chunk restricts the input by its own predicate: an inlined input in memory, an input in the
     * store ({@code fromStore}, when the chunks run in this JVM and the hook {@link InvocationHook#scanOnce
     * scans once}) in one scan spilled to {@code <workDir>/spill}. Blocking; before any chunk runs.
     */
    void route(List<Chunk> chunks, boolean fromStore) throws Exception {
        ChunkRoutes routed = new ChunkRoutes(chunks);
        try {
            for (InputSpec in : inputs) {
                if (!isTable(in) || !restrictedByPredicate(chunks, in.name())) {
                    continue;
                }
                boolean inMemory = in.output().kind() == OutputSet.Kind.INLINE;
                if (!inMemory && !(fromStore && hook.scanOnce())) {
                    continue;
                }
                Optional<dev.weir.engine.batch.RowRouter> router = hook.route(chunks, in.name());
                if (router.isEmpty()) {
                    continue;
                }
                if (inMemory) {
                    routed.routeInMemory(in.name(), in.inline(), router.get());
                } else {
                    long start = System.nanoTime();
                    routed.routeFromStore(in.name(), execution.store(), location(in), router.get(),
                            execution.config().workDir().resolve("spill"), taskAllocator);
                    LOG.debug("Task '{}' of stage '{}' read input '{}' once for its {} chunks in {} ms", plan.name(),
                            plan.stage(), in.name(), chunks.size(), (System.nanoTime() - start) / 1_000_000);
                }
            }
        } catch (Exception | Error e) {
            routed.close();
            throw e;
        }
        routes = routed;
    }

    /** Whether every chunk reads input {@code input} by its own (non-null) predicate: the rows a router splits. */
    private boolean restrictedByPredicate(List<Chunk> chunks, String input) {
        for (Chunk chunk : chunks) {
            String where = hook.restrict(chunk, input);
            if (where == null || !where.equals(chunk.predicate())) {
                return false;
            }
        }
        return true;
    }

    /** True for an input of table rows: a table in the store, or an inlined table held in memory. */
    private static boolean isTable(InputSpec in) {
        return in.output() != null && (in.output().kind() == OutputSet.Kind.TABLE
                || in.output().kind() == OutputSet.Kind.INLINE && in.inline() != null);
    }

    /**
     * The chunk planning of this task: its table inputs in the store or in memory. Bucket expressions are
     * typed by the first table input's grouping columns: signed integers are bucketed by
     * {@link IntegerBuckets}, which has an in-memory twin; other types by the store's own hash.
     */
    private final class Planning implements ChunkPlanning {
        private final List<InputSpec> tables = inputs.stream().filter(ChunkExecution::isTable).toList();
        private final Map<List<String>, List<ArrowType>> types = new ConcurrentHashMap<>();

        @Override
        public List<String> tableInputs() {
            return tables.stream().map(InputSpec::name).toList();
        }

        @Override
        public String sqlName(String input) {
            InputSpec in = input(input);
            if (in.output().kind() == OutputSet.Kind.INLINE) {
                throw new IllegalArgumentException("input '" + input + "' is an inlined table held in memory, so it has"
                        + " no SQL name; read it with inMemory(\"" + input + "\")");
            }
            return execution.store().sqlName(location(in));
        }

        @Override
        public Optional<ArrowTable> inMemory(String input) {
            InputSpec in = input(input);
            return in.output().kind() == OutputSet.Kind.INLINE ? Optional.of(in.inline()) : Optional.empty();
        }

        @Override
        public String bucketExpression(List<String> columns, int buckets) {
            if (tables.isEmpty()) {
                return execution.store().bucketExpression(columns, buckets);
            }
            List<ArrowType> keyTypes = typesOf(columns);
            return IntegerBuckets.acceptsAll(keyTypes)
                    ? IntegerBuckets.sql(columns.stream().map(execution.store()::quote).toList(), buckets)
                    : execution.store().bucketExpression(columns, keyTypes, buckets);
        }

        @Override
        public Optional<RowFilter> bucketFilter(List<String> columns, int buckets, int bucket) {
            return !tables.isEmpty() && IntegerBuckets.acceptsAll(typesOf(columns))
                    ? Optional.of(IntegerBuckets.filter(columns, buckets, bucket)) : Optional.empty();
        }

        @Override
        public String quote(String identifier) {
            return execution.store().quote(identifier);
        }

        @Override
        public Rows query(String sql) {
            try (ArrowReader reader = execution.store().query(sql, execution.runAllocator())) {
                return Rows.fromArrow(reader);
            } catch (java.io.IOException e) {
                throw new StoreException("cannot read the result of " + sql, e);
            }
        }

        private InputSpec input(String name) {
            return tables.stream().filter(i -> i.name().equals(name)).findFirst().orElseThrow(() ->
                    new IllegalArgumentException("the task has no table input '" + name + "'; its table inputs are "
                            + tableInputs()));
        }

        /** The types of {@code columns} in the first table input, read once per set of columns. */
        private List<ArrowType> typesOf(List<String> columns) {
            return types.computeIfAbsent(List.copyOf(columns), cols -> {
                InputSpec first = tables.get(0);
                if (first.output().kind() == OutputSet.Kind.INLINE) {
                    org.apache.arrow.vector.types.pojo.Schema schema = first.inline().schema();
                    return cols.stream().map(c -> schema.getFields().stream().filter(f -> f.getName().equals(c))
                            .findFirst().orElseThrow(() -> new IllegalArgumentException("inlined input '" + first.name()
                                    + "' has no column '" + c + "' to split chunks by; its columns are "
                                    + schema.getFields().stream().map(Field::getName).toList()))
                            .getType()).toList();
                }
                TableStore store = execution.store();
                String probe = "SELECT " + String.join(", ", cols.stream().map(store::quote).toList()) + " FROM "
                        + sqlName(first.name()) + " WHERE 1 = 0";
                try (ArrowReader reader = store.query(probe, execution.runAllocator())) {
                    return reader.getVectorSchemaRoot().getSchema().getFields().stream().map(Field::getType).toList();
                } catch (java.io.IOException e) {
                    throw new StoreException("cannot read the types of " + cols + ": " + probe, e);
                }
            });
        }
    }

    /**
     * Computes one chunk, or finds it in the chunk cache: without a cache entry, reads its rows of each
     * input, calls the task, and returns its tables moved to the run's allocator; the caller owns them.
     * With one, returns the entry, to be uploaded from the cache.
     */
    ChunkResult compute(Chunk chunk, int attempt) throws Exception {
        String key = cacheKey(chunk);
        if (key != null) {
            Optional<ChunkCache.Entry> hit = cache.lookup(key, chunk);
            if (hit.isPresent()) {
                Map<String, OutputShape> shapes = new LinkedHashMap<>();
                hit.get().outputs().forEach(o -> shapes.put(o.output(), o.shape()));
                return new ChunkResult(chunk, Map.of(), shapes, key, hit.get());
            }
        }
        return computeFromInputs(chunk, attempt, key);
    }

    /** The chunk's key in the cache, or null when chunks are not cached or the store cannot fingerprint. */
    private String cacheKey(Chunk chunk) {
        if (keys == null) {
            return null;
        }
        try {
            String key = keys.keyOf(chunk);
            usedKeys.put(chunk.index(), key);
            return key;
        } catch (UnsupportedOperationException e) {
            LOG.warn("Chunk {} of task '{}' is not cached: {}", chunk.index(), plan.name(), e.getMessage());
            return null;
        }
    }

    private ChunkResult computeFromInputs(Chunk chunk, int attempt, String key) throws Exception {
        TaskDef task = plan.task();
        String name = task.name() + "-" + chunk.index() + "-" + attempt;
        Map<String, ArrowTable> data = new LinkedHashMap<>();
        Map<String, OutputShape> shapes = new LinkedHashMap<>();
        try (BufferAllocator allocator = MemoryBudgets.chunk(taskAllocator, name, execution.config().memory());
             RunTaskContext ctx = new RunTaskContext(execution, task, restrict(chunk, allocator), allocator, true)) {
            Map<String, Object> returned = ReturnedOutputs.match(task, task.function().call(ctx));
            for (Map.Entry<String, Object> e : returned.entrySet()) {
                if (!(e.getValue() instanceof Table table) || table.payload() instanceof dev.weir.engine.Sql) {
                    throw new TaskExecution.TaskShapeException("a batched task returns in-memory tables for each"
                            + " chunk, but output '" + e.getKey() + "' is " + e.getValue());
                }
                shapes.put(e.getKey(), new OutputShape(table.name() != null ? table.name() : e.getKey(),
                        new TableSpec(table.primaryKeyColumns(), table.indexes())));
                data.put(e.getKey(), toArrow(table.payload(), allocator).transferTo(taskAllocator));
            }
            chunkPeak.accumulateAndGet(allocator.getPeakMemoryAllocation(), Math::max);
            return new ChunkResult(chunk, data, shapes, key, null);
        } catch (Exception | Error e) {
            data.values().forEach(ArrowTable::close);
            throw e;
        }
    }

    /**
     * The inputs as {@code chunk} reads them: a table in the store with the hook's predicate pushed
     * into its query, an inlined table as the chunk's own rows of it (from {@code allocator}; the
     * chunk's task context owns and closes them), anything else as it is.
     */
    private List<InputSpec> restrict(Chunk chunk, BufferAllocator allocator) {
        List<InputSpec> restricted = new ArrayList<>();
        List<ArrowTable> selected = new ArrayList<>();
        try {
            ChunkRoutes routed = routes;
            for (InputSpec in : inputs) {
                if (routed != null && routed.routes(in.name())) {
                    // the chunk's rows, split from the input once; a task asking for the SQL name still gets it
                    ArrowTable rows = routed.rowsOf(in.name(), in.inline(), chunk, allocator);
                    selected.add(rows);
                    restricted.add(in.where(hook.restrict(chunk, in.name())).withInline(rows));
                } else if (in.output() != null && in.output().kind() == OutputSet.Kind.TABLE) {
                    restricted.add(onWorker ? in : in.where(hook.restrict(chunk, in.name())));
                } else if (in.inline() != null && onWorker) {
                    // on a worker, the run sent the chunk's own rows of it: the chunk reads them as they are
                    ArrowTable rows = in.inline().view(allocator);
                    selected.add(rows);
                    restricted.add(in.withInline(rows));
                } else if (in.inline() != null) {
                    ArrowTable rows = InlineChunks.select(in.inline(), inMemoryFilter(chunk, in), allocator);
                    selected.add(rows);
                    restricted.add(in.withInline(rows));
                } else {
                    restricted.add(in);
                }
            }
            return restricted;
        } catch (RuntimeException | Error e) {
            selected.forEach(ArrowTable::close);
            throw e;
        }
    }

    /** The rows of inlined input {@code in} that {@code chunk} reads, or a failure saying why it cannot. */
    private RowFilter inMemoryFilter(Chunk chunk, InputSpec in) {
        return hook.restrictInMemory(chunk, in.name()).orElseThrow(() -> new IllegalStateException(
                "input '" + in.name() + "' is an inlined table held in memory, but the invocation hook "
                        + hook.describe() + " has no in-memory twin of the predicate " + chunk.predicate()
                        + " to select the chunk's rows of it (e.g. the grouping columns are integers in this input"
                        + " but not in the task's first table input); give every input the same column types, or"
                        + " mark the producer's table .notInline()"));
    }

    private static ArrowTable toArrow(Object payload, BufferAllocator allocator) {
        if (payload instanceof ArrowTable arrow) {
            return arrow;
        }
        if (payload instanceof VectorSchemaRoot root) {
            return ArrowTable.of(root);
        }
        if (payload instanceof ArrowReader stream) {
            try (stream) {
                return ArrowTable.readAll(stream, allocator);
            } catch (java.io.IOException e) {
                throw new StoreException("cannot close a chunk's stream", e);
            }
        }
        return ((Rows) payload).toArrow(allocator);
    }

    /**
     * Appends a chunk to the output tables and frees its data: a computed chunk from memory, then into the
     * chunk cache; a cached chunk from its cache entry. A cache entry that cannot be read is deleted and
     * the chunk computed here after all.
     */
    Uploaded upload(ChunkResult result, int attempt) throws Exception {
        if (result.hit() == null) {
            return new Uploaded(uploadComputed(result, attempt), ChunkState.COMPUTED);
        }
        try {
            return new Uploaded(uploadCached(result.chunk(), result.hit(), attempt), ChunkState.CACHED);
        } catch (UnreadableEntry e) {
            LOG.debug("The chunk cache entry {} of chunk {} ({}) of task '{}' could not be read, so the chunk is"
                    + " computed: {}", result.hit().dir(), result.chunk().index(), result.chunk().label(), plan.name(),
                    e.getCause().toString());
            cache.discard(result.hit());
            return new Uploaded(uploadComputed(computeFromInputs(result.chunk(), attempt, result.key()), attempt),
                    ChunkState.COMPUTED);
        }
    }

    private long uploadComputed(ChunkResult result, int attempt) {
        long rows = 0;
        try {
            for (Map.Entry<String, ArrowTable> e : result.data().entrySet()) {
                rows += outputs.append(e.getKey(), result.shapes().get(e.getKey()), result.chunk(), attempt,
                        e.getValue(), execution.runAllocator());
            }
            if (result.key() != null) {
                cache.store(result.key(), result.chunk(), result.data(), result.shapes());
            }
            return rows;
        } finally {
            result.close();
        }
    }

    private long uploadCached(Chunk chunk, ChunkCache.Entry entry, int attempt) {
        long rows = 0;
        for (ChunkCache.CachedOutput output : entry.outputs()) {
            ArrowTable read;
            try {
                read = cache.read(output, execution.runAllocator());
            } catch (RuntimeException e) {
                throw new UnreadableEntry(e);
            }
            try (ArrowTable data = read) {
                rows += outputs.append(output.output(), output.shape(), chunk, attempt, data, execution.runAllocator());
            }
        }
        return rows;
    }

    /** A cache entry that passed its lookup but whose data cannot be read; not a store failure. */
    private static final class UnreadableEntry extends RuntimeException {
        UnreadableEntry(Throwable cause) {
            super(cause);
        }
    }

    /**
     * Seals each output once every chunk is in (its keys added, inside the stage's transaction) and
     * records the task's cache entry.
     */
    OutputSet finish() {
        TaskDef task = plan.task();
        OutputSet set = new OutputSet(task.version(), plan.cacheFnHash(), plan.fullKey(), outputs.seal(task.outputs()),
                List.of());
        execution.store().recordTask(new TaskRecord(task.stage(), task.name(), plan.positionKey(), set.toJson(),
                execution.runId(), Instant.now()));
        if (cache != null && !ranRemotely) { // remote chunks are not cached here: keep the entries
            cache.retainOnly(Set.copyOf(usedKeys.values()));
        }
        return set;
    }

    /**
     * Whether this task's chunks can run on another node: every input is a table in the store, a value or
     * a constant, or, when the placement carries their rows ({@code inline}), an inlined table. A blob lives
     * in this JVM's files.
     */
    boolean placeableRemotely(boolean inline) {
        return inputs.stream().allMatch(in -> in.output() == null || in.output().kind() == OutputSet.Kind.TABLE
                || in.output().kind() == OutputSet.Kind.VALUE
                || inline && in.output().kind() == OutputSet.Kind.INLINE && in.inline() != null);
    }

    /**
     * The rows of each inlined input that {@code chunk} reads, by input name (empty without inlined inputs),
     * from this task's allocator: for a placement to carry to the node that runs the chunk, which owns them.
     * Blocking (the hook is user code).
     */
    Map<String, ArrowTable> inlineRows(Chunk chunk) {
        Map<String, ArrowTable> rows = new LinkedHashMap<>();
        try {
            ChunkRoutes routed = routes;
            for (InputSpec in : inputs) {
                if (in.output() == null || in.output().kind() != OutputSet.Kind.INLINE || in.inline() == null) {
                    continue;
                }
                rows.put(in.name(), routed != null && routed.routes(in.name())
                        ? routed.rowsOf(in.name(), in.inline(), chunk, taskAllocator)
                        : InlineChunks.select(in.inline(), inMemoryFilter(chunk, in), taskAllocator));
            }
            return rows;
        } catch (RuntimeException | Error e) {
            rows.values().forEach(ArrowTable::close);
            throw e;
        }
    }

    /**
     * Describes one attempt of {@code chunk} for a worker node: the inputs' tables and predicates as this
     * run resolves them, and the stage's transaction schema. Blocking: the hook is user code.
     */
    dev.weir.engine.placement.ChunkWork describe(Chunk chunk, int attempt) {
        List<dev.weir.engine.placement.ChunkWork.Input> described = new ArrayList<>();
        for (InputSpec in : inputs) {
            if (in.output() == null) {
                described.add(new dev.weir.engine.placement.ChunkWork.Input(in.name(),
                        dev.weir.engine.placement.ChunkWork.InputKind.CONSTANT, null, null, null, false, null, null, null,
                        null));
            } else if (in.output().kind() == OutputSet.Kind.TABLE) {
                TableLocation table = location(in);
                described.add(new dev.weir.engine.placement.ChunkWork.Input(in.name(),
                        dev.weir.engine.placement.ChunkWork.InputKind.TABLE, in.producerStage(), in.producerTask(),
                        in.output().name(), in.inTransaction(), table.schema(), table.table(),
                        hook.restrict(chunk, in.name()), null));
            } else if (in.output().kind() == OutputSet.Kind.VALUE) {
                described.add(new dev.weir.engine.placement.ChunkWork.Input(in.name(),
                        dev.weir.engine.placement.ChunkWork.InputKind.VALUE, in.producerStage(), in.producerTask(),
                        in.output().name(), in.inTransaction(), null, null, null,
                        String.valueOf(in.output().value())));
            } else if (in.output().kind() == OutputSet.Kind.INLINE && in.inline() != null) {
                described.add(new dev.weir.engine.placement.ChunkWork.Input(in.name(),
                        dev.weir.engine.placement.ChunkWork.InputKind.INLINE, in.producerStage(), in.producerTask(),
                        in.output().name(), in.inTransaction(), null, in.output().table(),
                        hook.restrict(chunk, in.name()), null));
            } else {
                throw new IllegalStateException("input '" + in.name() + "' of task '" + plan.name() + "' is "
                        + in.output().kind() + ", which a worker node cannot read; the chunk runs in the run's JVM");
            }
        }
        return new dev.weir.engine.placement.ChunkWork(execution.runId(), execution.flow().name(),
                execution.config().instanceName(), execution.config().perUser(),
                execution.config().tableStore().connectionName(), plan.stage(), plan.name(), chunk.index(), chunk.label(),
                chunk.predicate(), attempt, described, execution.transaction(plan.stage(), "t").schema(),
                plan.positionKey(), plan.fullKey(), plan.cacheFnHash(), attrsHash(execution.config()));
    }

    /** What a node checks its instance's attrs against ({@link dev.weir.engine.placement.ChunkWork#attrsHash}). */
    static String attrsHash(dev.weir.engine.config.InstanceConfig config) {
        return CacheKeys.hash("attrs", TaskKeys.attrsJson(config));
    }

    /**
     * Before a chunk computed on another node uploads: creates the output tables it has rows for, from its
     * columns (blocking), so that nodes never race to create one.
     */
    void prepareRemote(Chunk chunk, dev.weir.engine.placement.ChunkComputed computed) {
        ranRemotely = true;
        for (dev.weir.engine.placement.ChunkComputed.Output out : computed.outputs()) {
            org.apache.arrow.vector.types.pojo.Schema columns;
            try {
                columns = org.apache.arrow.vector.types.pojo.Schema.fromJSON(out.columns());
            } catch (java.io.IOException e) {
                throw new IllegalStateException("chunk " + chunk.index() + " of task '" + plan.name()
                        + "' sent columns that are not an Arrow schema: " + out.columns(), e);
            }
            outputs.prepareRemote(out.name(), new OutputShape(out.table(), new TableSpec(out.primaryKey(),
                    out.indexes())), chunk.index(), columns, out.rows());
        }
    }

    /** A chunk appended on another node: its rows join the outputs' counts. */
    void appendedRemotely(Chunk chunk, dev.weir.engine.placement.ChunkUploaded uploaded) {
        uploaded.rows().forEach((output, rows) -> outputs.appendedRemotely(output, chunk.index(), rows));
    }

    /** The rows {@code chunk} put in each output, by output name. */
    Map<String, Long> rowsOf(Chunk chunk) {
        return outputs.rowsOf(chunk.index());
    }

    /** Drops the outputs appended so far, once a failed task's chunks have all ended; blocking. */
    void discard() {
        outputs.discard();
    }

    private TableLocation location(InputSpec in) {
        String table = in.output().table();
        return in.inTransaction() ? execution.transaction(in.producerStage(), table)
                : execution.committed(in.producerStage(), table);
    }

    /**
     * Deletes the files of the inputs split from the store and releases the chunk cache's Parquet reader
     * and writers; blocking, once the task has ended.
     */
    @Override
    public void close() {
        try {
            if (routes != null) {
                routes.close();
            }
            if (cache != null) {
                cache.close();
            }
        } finally {
            if (taskAllocator.getAllocatedMemory() == 0) {
                taskAllocator.close();
            } else {
                // a chunk's data not freed yet: the run's allocator reports it as a leak when the run ends
                LOG.warn("Task '{}' of stage '{}' ended with {} bytes of chunk data still held", plan.name(),
                        plan.stage(), taskAllocator.getAllocatedMemory());
            }
        }
    }

    /**
     * Whether one more chunk may start computing now that {@code computing} are, by bytes: each computing
     * chunk, the new one included, may come to hold as much as the largest chunk so far, and that must fit in
     * three quarters of what this task may still allocate ({@code memory.task}, within what its run may:
     * {@code memory.run}); the quarter left is for the allocator's pools and rounding. So the chunks in memory
     * follow the budget, not a number of chunks: a task with larger chunks keeps fewer of them computing and
     * waiting. Until a chunk has computed its size is unknown, so the first chunk computes alone (unless
     * nothing is limited). Safe on any thread (it reads the allocator's counters).
     */
    boolean hasMemoryForAnotherChunk(int computing) {
        long peak = chunkPeak.get();
        if (peak == 0) {
            return computing == 0 || taskAllocator.getHeadroom() >= Long.MAX_VALUE / 2;
        }
        long free = taskAllocator.getHeadroom();
        return (computing + 1) * (double) peak <= free * 0.75;
    }

    TaskFailedException failure(Chunk chunk, Throwable e) {
        return failure(execution.flow().name(), plan, chunk, MemoryBudgets.explain(e, execution.config()));
    }

    /** A batched task's failure, naming the flow, stage, task and (when not null) chunk. */
    static TaskFailedException failure(String flow, TaskPlan plan, Chunk chunk, Throwable e) {
        if (e instanceof dev.weir.engine.TaskTimeoutException timeout) {
            return timeout; // names the chunk and the limit already
        }
        String where = chunk == null ? "" : "chunk " + chunk.index() + " (" + chunk.label() + "): ";
        String problem = e instanceof StoreException || e instanceof TaskExecution.TaskShapeException
                || e instanceof HookLimits.InvalidHook || e instanceof dev.weir.engine.MemoryBudgetException
                ? e.getMessage() : e.toString();
        return new TaskFailedException(flow, plan.stage(), plan.name(), where + problem, e);
    }

    /**
     * A chunk waiting for its upload: computed, it owns its Arrow data until uploaded or closed; found in
     * the cache ({@code hit} not null), it has no data and is uploaded from its entry.
     *
     * @param key the chunk's cache key, or null when chunks are not cached
     */
    record ChunkResult(Chunk chunk, Map<String, ArrowTable> data, Map<String, OutputShape> shapes, String key,
                       ChunkCache.Entry hit) implements AutoCloseable {
        long rows() {
            return hit != null ? hit.rows() : data.values().stream().mapToLong(ArrowTable::rowCount).sum();
        }

        @Override
        public void close() {
            data.values().forEach(ArrowTable::close);
        }
    }

    /** A chunk's upload: its rows in the output tables, and whether it was computed or cached. */
    record Uploaded(long rows, ChunkState state) {
    }
}
