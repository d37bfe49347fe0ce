package dev.weir.engine.runtime;

import dev.weir.engine.CacheContext;
import dev.weir.engine.Flow;
import dev.weir.engine.FlowDefinitionException;
import dev.weir.engine.Ref;
import dev.weir.engine.Sql;
import dev.weir.engine.Table;
import dev.weir.engine.TaskDef;
import dev.weir.engine.TaskId;
import dev.weir.engine.WeirException;
import dev.weir.engine.cache.CacheKeys;
import dev.weir.engine.config.InstanceConfig;
import dev.weir.engine.config.InstanceConfig.CacheValidation;
import dev.weir.engine.config.InstanceConfig.CacheValidation.Mode;
import dev.weir.engine.store.TableStore;
import dev.weir.engine.store.TaskRecord;
import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * Computes every task's cache key and decision, top-down (DESIGN: Caching; README: The cache rules).
 *
 * <ul>
 * <li>position key ({@link TaskKeys}): what the cache is looked up by. An input bound to a table or
 *     blob stands for its producer's full key, so upstream changes propagate; an input bound to a value
 *     output stands for the value's canonical hash, so a producer that reran with the same value leaves
 *     its consumers valid;
 * <li>the version and the cache function's value are compared against the entry found, so a run can
 *     say why a task runs ({@code version-changed}, {@code fresh-input});
 * <li>full key = H(position key, version, cache function hash), plus the run id when the key must be
 *     this run's alone (no version, forced modes): what consumers build on. On a hit it is the recorded
 *     one; for a task left out of the run, the one recorded in its committed entry, since that is what
 *     its committed tables hold.
 * </ul>
 *
 * A key that needs what a running Java task produces (whether an output is a table or a value, and the
 * value) is finished when the task's inputs are ready: {@link #resolve}.
 *
 * <p>{@link #plan} blocks (cache functions, lazy task functions, the store) and runs on the blocking
 * dispatcher; {@link #resolve} only hashes and runs on the run's actor, after {@code plan} returned.
 */
final class Planner {

    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(Planner.class);

    private final Flow flow;
    private final InstanceConfig config;
    private final CacheValidation validation;
    private final TableStore store;
    /** The committed cache entry of each task, by stage and task: one per task (a commit replaces them). */
    private final Map<String, Map<String, Entry>> committed = new HashMap<>();
    private final TaskKeys keys;
    private Set<TaskId> named = Set.of();
    private String runId;
    /** True while {@link #plan} runs on the blocking dispatcher; store reads are allowed only then. */
    private boolean planning;

    Planner(Flow flow, InstanceConfig config, CacheValidation validation, TableStore store) {
        this.flow = flow;
        this.config = config;
        this.validation = validation;
        this.store = store;
        this.keys = new TaskKeys(flow.name(), TaskKeys.attrsJson(config));
    }

    Plan plan(String runId, Set<String> only) {
        this.runId = runId;
        this.planning = true;
        try {
            return planAll(runId, only);
        } finally {
            this.planning = false;
        }
    }

    private Plan planAll(String runId, Set<String> only) {
        Set<TaskId> selected = flow.select(only);
        // tasks named one by one run whatever their cache says (pipedag's flow.run(task)); a named stage
        // runs its tasks with the normal cache checks
        this.named = flow.namedTasks(only);
        Map<TaskId, TaskPlan> plans = new LinkedHashMap<>();
        Map<Ref, List<TaskDef.Input>> consumers = consumers();
        KeptWork kept = new KeptWork(flow, store, new dev.weir.engine.blob.FileBlobStore(config.blobStoreDir()));
        for (TaskDef task : flow.tasks()) {
            TaskPlan planned = selected.contains(task.id()) ? planSelected(task, plans) : planLeftOut(task);
            plans.put(task.id(), kept.resumeIfKept(withInlineable(planned, consumers), plans));
        }
        kept.report(plans);
        forceInlineProducers(plans);
        Set<String> touched = new LinkedHashSet<>();
        plans.values().stream().filter(p -> p.decision() == TaskPlan.Decision.RUN
                || p.decision() == TaskPlan.Decision.RESUME || p.decision() == TaskPlan.Decision.DEFERRED)
                .forEach(p -> touched.add(p.stage()));
        return new Plan(runId, flow, config, plans, touched, selected.size() < flow.tasks().size());
    }

    /**
     * Finishes the key and decision of a deferred task, now that its producers are done.
     *
     * @param current  the run's plan so far (producers decided)
     * @param produced what each finished task produced or carried forward, by task
     * @return the task's plan, RUN or HIT
     */
    TaskPlan resolve(TaskPlan deferred, Plan current, Map<TaskId, OutputSet> produced) {
        TaskDef task = deferred.task();
        String positionKey = keys.positionKey(task, deferred.lazyTables(), deferred.lazyValues(), current::task,
                produced::get);
        if (positionKey == null) {
            throw new IllegalStateException(where(flow, task) + ": its key was resolved before its producers finished");
        }
        TaskPlan decided = decide(task, positionKey, deferred.cacheFnHash(), new Lazy(deferred.lazyTables(),
                deferred.lazyValues()))
                .withInlineable(deferred.inlineable());
        if (decided.decision() == TaskPlan.Decision.HIT) {
            // an inlined output of a hit is not in the store: a consumer that may still run needs it run
            for (TaskPlan consumer : current.tasks().values()) {
                boolean mayRun = consumer.decision() == TaskPlan.Decision.RUN
                        || consumer.decision() == TaskPlan.Decision.DEFERRED;
                if (mayRun && consumer.task().upstream().stream().anyMatch(r -> r.taskId().equals(task.id())
                        && decided.cached().output(r.output()).map(o -> o.kind() == OutputSet.Kind.INLINE).orElse(false))) {
                    return decided.forcedBy(consumer.id().toString());
                }
            }
        }
        return decided;
    }

    /** Who reads each output, by the input that binds it. */
    private Map<Ref, List<TaskDef.Input>> consumers() {
        Map<Ref, List<TaskDef.Input>> byRef = new LinkedHashMap<>();
        for (TaskDef task : flow.tasks()) {
            for (TaskDef.Input in : task.inputs()) {
                if (in.ref() != null) {
                    byRef.computeIfAbsent(in.ref(), r -> new ArrayList<>()).add(in);
                }
            }
        }
        return byRef;
    }

    private static final Set<Class<?>> ARROW_INPUT_TYPES = Set.of(dev.weir.engine.data.ArrowTable.class,
            dev.weir.engine.data.Rows.class, org.apache.arrow.vector.ipc.ArrowReader.class);

    /**
     * The outputs of a task that may be inlined: read by at least one task, and only by Java code that
     * takes Arrow data. A lazy or raw SQL consumer, or one asking for the SQL name, needs the table in
     * the store, so the hint is rejected for that output. A batched consumer qualifies like any Java
     * task; whether its invocation hook can select each chunk's rows in memory depends on the table's
     * columns, so that is decided when the producer has computed it ({@code TaskExecution}).
     */
    private TaskPlan withInlineable(TaskPlan plan, Map<Ref, List<TaskDef.Input>> consumers) {
        Set<String> inlineable = new LinkedHashSet<>();
        for (String output : plan.task().outputs()) {
            List<TaskDef.Input> readers = consumers.getOrDefault(new Ref(plan.stage(), plan.name(), output), List.of());
            Optional<TaskDef> needsStore = flow.tasks().stream()
                    .filter(t -> t.inputs().stream().anyMatch(in -> readers.contains(in)
                            && (t.kind() != TaskDef.Kind.FUNCTION || !ARROW_INPUT_TYPES.contains(in.type()))))
                    .findFirst();
            if (readers.isEmpty()) {
                continue;
            }
            if (needsStore.isPresent()) {
                LOG.debug("Output '{}' of task '{}' is not inlined: consumer '{}' reads it inside the table store",
                        output, plan.id(), needsStore.get().id());
            } else {
                inlineable.add(output);
            }
        }
        return plan.withInlineable(inlineable);
    }

    /**
     * An inlined output is not in the store: a consumer that must run needs its producer to run again,
     * even on a cache hit (pipedag #163). Walks the flow backwards so that forcing propagates up chains
     * of inlined tasks. The forced task keeps its recorded key, so its other consumers stay valid. A
     * deferred consumer may run, so it counts as one that runs.
     */
    private void forceInlineProducers(Map<TaskId, TaskPlan> plans) {
        List<TaskDef> tasks = new ArrayList<>(flow.tasks());
        java.util.Collections.reverse(tasks);
        for (TaskDef task : tasks) {
            TaskPlan.Decision decision = plans.get(task.id()).decision();
            if (decision != TaskPlan.Decision.RUN && decision != TaskPlan.Decision.DEFERRED) {
                continue;
            }
            for (Ref ref : task.upstream()) {
                TaskPlan producer = plans.get(ref.taskId());
                boolean inlined = producer.cached() != null && producer.cached().output(ref.output())
                        .map(o -> o.kind() == OutputSet.Kind.INLINE).orElse(false);
                if (inlined && producer.decision() != TaskPlan.Decision.RUN) {
                    plans.put(producer.id(), producer.forcedBy(task.id().toString()));
                }
            }
        }
    }

    /** A committed cache entry: the record and its outputs, read once while planning. */
    private record Entry(TaskRecord record, OutputSet outputs) {
    }

    /**
     * The committed cache entry of a task, or null; one store round trip per stage. {@link #plan} reads
     * every stage of the flow (each task is planned selected or left out), so {@link #resolve}, which
     * runs on the run's actor thread, only ever finds them here and never waits for the store.
     */
    private Entry committedEntry(TaskDef task) {
        if (!planning && !committed.containsKey(task.stage())) {
            throw new IllegalStateException(where(flow, task) + ": its stage's cache entries were not read while"
                    + " planning, and the run's actor thread must not wait for the store");
        }
        return committed.computeIfAbsent(task.stage(), stage -> {
            Map<String, Entry> byTask = new HashMap<>();
            if (store.isCommitted(stage)) {
                dev.weir.engine.blob.FileBlobStore blobs = new dev.weir.engine.blob.FileBlobStore(config.blobStoreDir());
                for (TaskRecord r : store.committedTasks(stage)) { // ordered by time: the newest wins
                    OutputSet outputs = OutputSet.fromJson(r.outputJson());
                    if (blobsPublished(blobs, r, outputs)) {
                        byTask.put(r.task(), new Entry(r, outputs));
                    }
                }
            }
            return byTask;
        }).get(task.name());
    }

    /**
     * Whether the files of a cache entry outside the table store (blobs, directories) are published as
     * its commit left them. A run killed between the table store's commit and the files' publication
     * leaves an entry whose files are missing or an older run's: it is no cache hit, so the task runs.
     */
    private static boolean blobsPublished(dev.weir.engine.blob.FileBlobStore blobs, TaskRecord record,
                                          OutputSet outputs) {
        List<String> files = outputs.blobs().stream().map(OutputSet.Output::table).toList();
        if (files.isEmpty() || blobs.published(record.stage(), record.runId(), files)) {
            return true;
        }
        LOG.info("The cache entry of task '{}' of stage '{}' is not used: its files {} are not published in {} as"
                + " run {} committed them", record.task(), record.stage(), files, blobs.root(), record.runId());
        return false;
    }

    /**
     * A task left out of the run keeps its committed tables, so what its consumers read is what its
     * committed entry describes: they build on that entry's key. Without an entry nothing vouches for
     * the committed tables, so the task gets a key of this run alone and no consumer can be a hit.
     */
    private TaskPlan planLeftOut(TaskDef task) {
        Entry entry = committedEntry(task);
        if (entry == null) {
            String unknown = CacheKeys.hash("NO-COMMITTED-ENTRY", flow.name(), task.stage(), task.name(), runId);
            return new TaskPlan(task, TaskPlan.Decision.SKIP, "not-selected", null, unknown, "", null, List.of(),
                    Set.of(), true);
        }
        OutputSet outputs = entry.outputs();
        return new TaskPlan(task, TaskPlan.Decision.SKIP, "not-selected", entry.record().cacheKey(),
                outputs.fullKey(), outputs.cacheFnHash(), outputs, List.of(), Set.of(), false);
    }

    private TaskPlan planSelected(TaskDef task, Map<TaskId, TaskPlan> plans) {
        boolean hasCacheFn = task.cache() != null || task.sourceInstance() != null;
        boolean evaluateCacheFn = hasCacheFn && !validation.disableCacheFunction()
                && validation.mode() != Mode.IGNORE_FRESH_INPUT;
        String cacheFnHash = evaluateCacheFn ? cacheFunctionHash(task) : hasCacheFn ? "not-evaluated" : "";
        Entry committedEntry = committedEntry(task);
        if (evaluateCacheFn && validation.mode() == Mode.ASSERT_NO_FRESH_INPUT && committedEntry != null
                && !committedEntry.outputs().cacheFnHash().equals(cacheFnHash)) {
            throw new FlowDefinitionException(flow.name(), task.stage(), task.name(),
                    "the cache function reports fresh input, but cache validation mode is "
                            + Mode.ASSERT_NO_FRESH_INPUT.configName()
                            + " (use normal or ignore-fresh-input to run anyway)");
        }
        Lazy lazy = task.kind() == TaskDef.Kind.LAZY ? renderLazy(task) : Lazy.NONE;
        String positionKey = keys.positionKey(task, lazy.tables(), lazy.values(), plans::get, producer -> {
            TaskPlan p = plans.get(producer);
            return p.decision() == TaskPlan.Decision.HIT || p.decision() == TaskPlan.Decision.SKIP
                    || p.decision() == TaskPlan.Decision.RESUME ? p.cached() : null;
        });
        if (positionKey == null) {
            return new TaskPlan(task, TaskPlan.Decision.DEFERRED, "deferred", null, null, cacheFnHash, null,
                    lazy.tables(), Set.of(), false, lazy.values());
        }
        return decide(task, positionKey, cacheFnHash, lazy);
    }

    /** The decision for a selected task whose position key is known. */
    private TaskPlan decide(TaskDef task, String positionKey, String cacheFnHash, Lazy lazy) {
        boolean hasCacheFn = task.cache() != null || task.sourceInstance() != null;
        boolean evaluateCacheFn = hasCacheFn && !validation.disableCacheFunction()
                && validation.mode() != Mode.IGNORE_FRESH_INPUT;
        String version = task.version();
        Entry committedEntry = committedEntry(task);
        OutputSet entry = committedEntry != null && committedEntry.record().cacheKey().equals(positionKey)
                ? committedEntry.outputs() : null;

        TaskPlan.Decision decision = TaskPlan.Decision.RUN;
        String reason;
        boolean fresh = false;
        if (validation.mode() == Mode.FORCE_CACHE_INVALID) {
            reason = "forced (force-cache-invalid)";
            fresh = true;
        } else if (task.kind() == TaskDef.Kind.FUNCTION && version == null) {
            reason = "no-version";
            fresh = true;
        } else if (validation.ignoreTaskVersion() && version != null) {
            reason = "forced (ignore-task-version)";
            fresh = true;
        } else if (entry == null) {
            reason = "no-cache-entry";
        } else if (!Objects.equals(entry.version(), version)) {
            reason = "version-changed " + entry.version() + " -> " + version;
        } else if (hasCacheFn && validation.mode() == Mode.FORCE_FRESH_INPUT) {
            reason = "forced (force-fresh-input)";
            fresh = true;
        } else if (evaluateCacheFn && !entry.cacheFnHash().equals(cacheFnHash)) {
            reason = "fresh-input";
        } else if (named.contains(task.id())) {
            reason = "selected";
        } else {
            decision = TaskPlan.Decision.HIT;
            reason = "cache-valid";
        }
        // A key of this run alone makes every consumer rerun (its output may differ from any earlier one); its
        // entry keeps the real version and cache function hash.
        String fullKey = decision == TaskPlan.Decision.HIT ? entry.fullKey()
                : fresh ? CacheKeys.hash(positionKey, version, cacheFnHash, runId)
                : CacheKeys.hash(positionKey, version, cacheFnHash);
        return new TaskPlan(task, decision, reason, positionKey, fullKey, cacheFnHash,
                decision == TaskPlan.Decision.HIT ? entry : null, lazy.tables(), Set.of(), fresh, lazy.values());
    }

    private String cacheFunctionHash(TaskDef task) {
        List<String> parts = new ArrayList<>();
        if (task.cache() != null) {
            try {
                Object value = task.cache().value(new PlanCacheContext(task));
                parts.add(CacheKeys.canonicalJson(value));
            } catch (Exception e) {
                throw new WeirException(where(flow, task)
                        + ": the cache function failed: " + e, e);
            }
        }
        if (task.sourceInstance() != null) {
            InstanceConfig source = task.sourceInstance();
            Optional<String> version = store.foreignStageVersion(source.tableStore(), task.sourceStage());
            if (version.isEmpty()) {
                throw new WeirException(where(flow, task) + ": reads stage '"
                        + task.sourceStage() + "' of instance '" + source.instanceName()
                        + "', which has never been committed; run that instance first");
            }
            parts.add("source:" + source.instanceId() + ":" + version.get());
        }
        return CacheKeys.hash(parts.toArray(String[]::new));
    }

    /** What a lazy task's function returned: its tables of SQL, in output order, and its values by output. */
    private record Lazy(List<Table> tables, Map<String, JsonNode> values) {
        static final Lazy NONE = new Lazy(List.of(), Map.of());
    }

    /**
     * Calls a lazy task's function. Its outputs are tables of SQL, run inside the store, and values next to
     * them (pipedag's {@code nout=2}): kept like a Java task's value output, and part of the task's key.
     */
    private Lazy renderLazy(TaskDef task) {
        Object returned;
        try {
            returned = task.function().call(new LazyPlanContext(flow, config, task, store));
        } catch (Exception e) {
            throw new WeirException(where(flow, task) + ": the lazy task failed while"
                    + " building its query: " + e, e);
        }
        Map<String, Object> outputs;
        try {
            outputs = ReturnedOutputs.match(task, returned);
        } catch (IllegalArgumentException e) {
            throw new WeirException(where(flow, task) + ": " + e.getMessage(), e);
        }
        List<Table> tables = new ArrayList<>();
        Map<String, JsonNode> values = new LinkedHashMap<>();
        outputs.forEach((name, item) -> {
            if (item instanceof Table t && t.payload() instanceof Sql) {
                tables.add(t.name() == null ? t.name(name) : t);
            } else if (item instanceof Table || item instanceof dev.weir.engine.Blob
                    || item instanceof dev.weir.engine.data.ArrowTable || item instanceof dev.weir.engine.data.Rows
                    || item instanceof Sql || item instanceof org.apache.arrow.vector.ipc.ArrowReader
                    || item instanceof org.apache.arrow.vector.VectorSchemaRoot) {
                TaskExecution.closeQuietly(item);
                throw new WeirException(where(flow, task) + ": a lazy task returns Tables"
                        + " of Sql and values, but output '" + name + "' is " + describe(item)
                        + "; drop lazy() to materialize in-memory data");
            } else {
                try {
                    values.put(name, item == null ? com.fasterxml.jackson.databind.node.NullNode.getInstance()
                            : CacheKeys.JSON.valueToTree(item));
                } catch (IllegalArgumentException e) {
                    throw new WeirException(where(flow, task) + ": output '" + name + "' is a "
                            + item.getClass().getName() + ", which is neither a Table of Sql nor a value Jackson can"
                            + " write as JSON: " + e.getMessage(), e);
                }
            }
        });
        return new Lazy(tables, values);
    }

    private static String describe(Object item) {
        return item == null ? "null" : item instanceof Table t ? "a Table of " + t.payload().getClass().getSimpleName()
                : "a " + item.getClass().getSimpleName();
    }

    /** Where a task is, for messages: {@code flow 'f', stage 's', task 't'}. */
    static String where(Flow flow, TaskDef task) {
        return "flow '" + flow.name() + "', stage '" + task.stage() + "', task '" + task.name() + "'";
    }

    private final class PlanCacheContext implements CacheContext {
        private final TaskDef task;

        PlanCacheContext(TaskDef task) {
            this.task = task;
        }

        @Override
        public InstanceConfig config() {
            return config;
        }

        @Override
        public String stage() {
            return task.stage();
        }

        @Override
        public String task() {
            return task.name();
        }
    }

    /** The token a lazy query holds for an input until the run substitutes the input's SQL name. */
    static String token(String input) {
        return "\u27e8weir-input:" + input + "\u27e9";
    }

    static String substitute(String query, Map<String, String> sqlNames) {
        String result = query;
        for (Map.Entry<String, String> e : sqlNames.entrySet()) {
            result = result.replace(token(e.getKey()), e.getValue());
        }
        return result;
    }
}
