package dev.weir.engine.runtime;

import dev.weir.engine.CacheContext;
import dev.weir.engine.Flow;
import dev.weir.engine.FlowDefinitionException;
import dev.weir.engine.Ref;
import dev.weir.engine.Sql;
import dev.weir.engine.Table;
import dev.weir.engine.TaskDef;
import dev.weir.engine.WeirException;
import dev.weir.engine.cache.CacheKeys;
import dev.weir.engine.config.InstanceConfig;
import dev.weir.engine.config.InstanceConfig.CacheValidation;
import dev.weir.engine.config.InstanceConfig.CacheValidation.Mode;
import dev.weir.engine.store.TableStore;
import dev.weir.engine.store.TaskRecord;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * Computes every task's cache key and decision top-down, before anything runs (DESIGN: Caching).
 *
 * <ul>
 * <li>position key = H(stage, name, kind, inputs, lazy query or raw script): what the cache is looked
 *     up by; each upstream input stands for its producer's full key, so upstream changes propagate;
 * <li>the version and the cache function's value are compared against the entry found, so a run can
 *     say why a task runs ({@code version-changed}, {@code fresh-input}) and the validation modes can
 *     ignore one or the other;
 * <li>full key = H(position key, version, cache function hash): what consumers build on. On a hit it
 *     is the recorded one, so ignoring a version or fresh input also keeps the consumers valid.
 * </ul>
 *
 * Blocking: calls cache functions, lazy task functions and the store. Runs on the blocking dispatcher.
 */
final class Planner {

    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(Planner.class);

    private final Flow flow;
    private final InstanceConfig config;
    private final CacheValidation validation;
    private final TableStore store;

    Planner(Flow flow, InstanceConfig config, CacheValidation validation, TableStore store) {
        this.flow = flow;
        this.config = config;
        this.validation = validation;
        this.store = store;
    }

    Plan plan(String runId, Set<String> only) {
        Set<String> selected = flow.select(only);
        Map<String, TaskPlan> plans = new LinkedHashMap<>();
        Map<String, Map<String, TaskRecord>> entries = new LinkedHashMap<>();
        Map<Ref, List<TaskDef.Input>> consumers = consumers();
        for (TaskDef task : flow.tasks()) {
            Map<String, TaskRecord> stageEntries = entries.computeIfAbsent(task.stage(), this::committedEntries);
            TaskPlan planned = planTask(task, plans, selected.contains(task.name()), stageEntries, runId);
            plans.put(task.name(), withInlineable(planned, consumers));
        }
        new KeptWork(flow, store, new dev.weir.engine.blob.FileBlobStore(config.blobStoreDir())).resume(plans);
        forceInlineProducers(plans);
        Set<String> touched = new LinkedHashSet<>();
        plans.values().stream().filter(p -> p.decision() == TaskPlan.Decision.RUN
                || p.decision() == TaskPlan.Decision.RESUME).forEach(p -> touched.add(p.stage()));
        return new Plan(runId, flow, config, plans, touched, selected.size() < flow.tasks().size());
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
                        output, plan.name(), needsStore.get().name());
            } else {
                inlineable.add(output);
            }
        }
        return new TaskPlan(plan.task(), plan.decision(), plan.reason(), plan.positionKey(), plan.fullKey(),
                plan.cacheFnHash(), plan.cached(), plan.lazyTables(), inlineable);
    }

    /**
     * An inlined output is not in the store: a consumer that must run needs its producer to run again,
     * even on a cache hit (pipedag #163). Walks the flow backwards so that forcing propagates up chains
     * of inlined tasks. The forced task keeps its recorded key, so its other consumers stay valid.
     */
    private void forceInlineProducers(Map<String, TaskPlan> plans) {
        List<TaskDef> tasks = new ArrayList<>(flow.tasks());
        java.util.Collections.reverse(tasks);
        for (TaskDef task : tasks) {
            if (plans.get(task.name()).decision() != TaskPlan.Decision.RUN) {
                continue;
            }
            for (Ref ref : task.upstream()) {
                TaskPlan producer = plans.get(ref.task());
                boolean inlined = producer.cached() != null && producer.cached().output(ref.output())
                        .map(o -> o.kind() == OutputSet.Kind.INLINE).orElse(false);
                if (inlined && producer.decision() != TaskPlan.Decision.RUN) {
                    plans.put(producer.name(), producer.forcedBy(task.name()));
                }
            }
        }
    }

    /** The committed cache entries of a stage by task and position key; one store round trip per stage. */
    private Map<String, TaskRecord> committedEntries(String stage) {
        Map<String, TaskRecord> byKey = new java.util.HashMap<>();
        if (store.isCommitted(stage)) {
            for (TaskRecord r : store.committedTasks(stage)) {
                byKey.put(r.task() + "\u0000" + r.cacheKey(), r); // ordered by time: the newest wins
            }
        }
        return byKey;
    }

    private TaskPlan planTask(TaskDef task, Map<String, TaskPlan> plans, boolean selected,
                              Map<String, TaskRecord> stageEntries, String runId) {
        List<String> parts = new ArrayList<>(List.of("TASK", task.stage(), task.name(), task.kind().name()));
        for (TaskDef.Input input : task.inputs()) {
            parts.add(input.name());
            if (input.ref() != null) {
                TaskPlan producer = plans.get(input.ref().task());
                parts.add(producer.fullKey());
                parts.add(input.ref().output());
            } else {
                parts.add(CacheKeys.canonicalJson(input.constant()));
            }
        }
        List<Table> lazyTables = List.of();
        if (task.kind() == TaskDef.Kind.LAZY) {
            lazyTables = renderLazy(task);
            for (Table t : lazyTables) {
                parts.add(t.name());
                parts.add(((Sql) t.payload()).query());
                parts.add(String.valueOf(t.primaryKeyColumns()));
                parts.add(String.valueOf(t.indexes()));
            }
        } else if (task.kind() == TaskDef.Kind.RAW_SQL) {
            parts.add(task.rawScript());
        }
        if (task.batched()) {
            parts.add("BATCHED");
            parts.add(task.invocation().describe());
        }
        String positionKey = CacheKeys.hash(parts.toArray(String[]::new));
        boolean hasCacheFn = task.cache() != null || task.sourceInstance() != null;
        boolean evaluateCacheFn = hasCacheFn && !validation.disableCacheFunction()
                && validation.mode() != Mode.IGNORE_FRESH_INPUT;
        String cacheFnHash = evaluateCacheFn ? cacheFunctionHash(task) : hasCacheFn ? "not-evaluated" : "";
        String version = task.version();

        Optional<OutputSet> entry = Optional.ofNullable(stageEntries.get(task.name() + "\u0000" + positionKey))
                .map(TaskRecord::outputJson).map(OutputSet::fromJson);

        TaskPlan.Decision decision;
        String reason;
        if (!selected) {
            decision = TaskPlan.Decision.SKIP;
            reason = "not-selected";
        } else if (validation.mode() == Mode.FORCE_CACHE_INVALID) {
            decision = TaskPlan.Decision.RUN;
            reason = "forced (force-cache-invalid)";
        } else if (entry.isEmpty()) {
            decision = TaskPlan.Decision.RUN;
            reason = "no-cache-entry";
        } else if (!validation.ignoreTaskVersion() && !Objects.equals(entry.get().version(), version)) {
            decision = TaskPlan.Decision.RUN;
            reason = "version-changed " + entry.get().version() + " -> " + version;
        } else if (hasCacheFn && validation.mode() == Mode.FORCE_FRESH_INPUT) {
            decision = TaskPlan.Decision.RUN;
            reason = "forced (force-fresh-input)";
        } else if (evaluateCacheFn && !entry.get().cacheFnHash().equals(cacheFnHash)) {
            if (validation.mode() == Mode.ASSERT_NO_FRESH_INPUT) {
                throw new FlowDefinitionException(flow.name(), task.stage(), task.name(),
                        "the cache function reports fresh input, but cache validation mode is "
                                + Mode.ASSERT_NO_FRESH_INPUT.configName()
                                + " (use normal or ignore-fresh-input to run anyway)");
            }
            decision = TaskPlan.Decision.RUN;
            reason = "fresh-input";
        } else {
            decision = TaskPlan.Decision.HIT;
            reason = "cache-valid";
        }
        OutputSet valid = decision == TaskPlan.Decision.HIT
                || (decision == TaskPlan.Decision.SKIP && entry.isPresent()) ? entry.orElse(null) : null;
        // Forced fresh input gives the task a key of this run, so its consumers rerun as well; its entry
        // keeps the real cache function hash, so the next normal run finds it valid again.
        String fullKey = valid != null ? valid.fullKey()
                : reason.startsWith("forced") ? CacheKeys.hash(positionKey, version, cacheFnHash, runId)
                : CacheKeys.hash(positionKey, version, cacheFnHash);
        return new TaskPlan(task, decision, reason, positionKey, fullKey, cacheFnHash, valid, lazyTables, Set.of());
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

    private List<Table> renderLazy(TaskDef task) {
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
        outputs.forEach((name, item) -> {
            if (!(item instanceof Table t) || !(t.payload() instanceof Sql)) {
                throw new WeirException(where(flow, task) + ": a lazy task returns Tables"
                        + " of Sql, but output '" + name + "' is " + describe(item)
                        + "; drop lazy() to materialize in-memory data");
            }
            tables.add(t.name() == null ? t.name(name) : t);
        });
        return tables;
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
