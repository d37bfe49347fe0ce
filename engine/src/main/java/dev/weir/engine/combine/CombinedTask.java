package dev.weir.engine.combine;

import dev.weir.engine.Blob;
import dev.weir.engine.CacheFunction;
import dev.weir.engine.FlowDefinitionException;
import dev.weir.engine.Outputs;
import dev.weir.engine.Sql;
import dev.weir.engine.Table;
import dev.weir.engine.TaskContext;
import dev.weir.engine.TaskDef;
import dev.weir.engine.TaskFailedException;
import dev.weir.engine.TaskFunction;
import dev.weir.engine.data.ArrowTable;
import dev.weir.engine.store.StoreException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.arrow.vector.VectorSchemaRoot;

/**
 * Two task specs fused into the body of one ordinary task (PIN-5's combined task): the first runs,
 * the {@link Stitch} maps its outputs to the second's arguments, the second runs, all in the one call
 * the engine makes on one worker. Nothing is materialized in between: tables pass as Arrow data in
 * memory. The engine sees one task with one cache key, one report entry and one set of metrics.
 *
 * <p>What the engine sees, derived from the two specs by {@link #of}:
 * <ul>
 * <li>version: {@code read_orders@2+write_orders@1} (prefixed by the combined task's own version,
 *     which stands for the stitch), so bumping an inner version reruns the combined task;
 * <li>inputs: the first's bound inputs and the second's, under {@code inner.input} names;
 * <li>outputs: the second's;
 * <li>cache function: the inner ones' values by inner task name, when either has one.
 * </ul>
 *
 * <p><b>Ownership.</b> The combined task owns the first task's Arrow outputs and frees them after the
 * second returns, except those the second returns as its own outputs, which pass to the engine. A
 * failure frees everything. Errors name the inner task:
 * {@code combined task 'migrate', inner task 'read_orders': ...}. Called by the engine on its blocking
 * dispatcher, once per run in which the cache is invalid.
 */
public final class CombinedTask implements TaskFunction {

    private final String name;
    private final TaskSpec first;
    private final TaskSpec second;
    private final Stitch stitch;
    private final String version;

    private CombinedTask(String name, TaskSpec first, TaskSpec second, Stitch stitch, String version) {
        this.name = name;
        this.first = first;
        this.second = second;
        this.stitch = stitch;
        this.version = version;
    }

    /**
     * Checks that the two specs can be combined and derives the combined task. Used by
     * {@code TaskBuilder.combine}.
     *
     * @param stitch     the stitch, or null for the default (one output to one input)
     * @param ownVersion the combined task's own version (the stitch's), or null
     * @throws FlowDefinitionException when they cannot, saying how to fix it
     */
    public static CombinedTask of(String flow, String stage, String task, TaskSpec first, TaskSpec second,
                                  Stitch stitch, String ownVersion) {
        java.util.Objects.requireNonNull(first, "first is null");
        java.util.Objects.requireNonNull(second, "second is null");
        if (first.name().equals(second.name())) {
            throw new FlowDefinitionException(flow, stage, task, "both inner tasks are named '" + first.name()
                    + "'; give the task specs distinct names, errors and the version name them");
        }
        if (!first.takes().isEmpty()) {
            throw new FlowDefinitionException(flow, stage, task, "inner task '" + first.name() + "' takes "
                    + first.takes() + " from a stitch, but only the second task of a combination is stitched;"
                    + " bind them with input(...) or constant(...) on its spec");
        }
        if (second.takes().isEmpty()) {
            throw new FlowDefinitionException(flow, stage, task, "inner task '" + second.name() + "' takes nothing"
                    + " from '" + first.name() + "'; declare what it reads from it with takes(\"name\")");
        }
        int firstOutputs = Math.max(1, first.outputs().size());
        if (stitch == null && (firstOutputs != 1 || second.takes().size() != 1)) {
            throw new FlowDefinitionException(flow, stage, task, "without a stitch, inner task '" + first.name()
                    + "' must have one output and '" + second.name() + "' take one input, but they have outputs "
                    + names(first) + " and take " + second.takes() + "; pass a stitch, e.g. combine(first, second,"
                    + " out -> Args.of(out.get(\"" + names(first).get(0) + "\")).and(\"" + second.takes().get(0)
                    + "\", ...))");
        }
        // an inner task without a version has no version the cache could compare: nor has the combination
        String inner = first.version() == null || second.version() == null ? null
                : versioned(first) + "+" + versioned(second);
        return new CombinedTask(task, first, second, stitch == null ? Stitch.single() : stitch,
                inner == null ? null : ownVersion == null ? inner : ownVersion + ":" + inner);
    }

    /**
     * The combined version: the own version (if any), then each inner task's {@code name@version}; null
     * when an inner task has no version, so the combined task always runs (reason {@code no-version}).
     */
    public String version() {
        return version;
    }

    /** The inputs the engine binds: both inner tasks' bound inputs, under {@code inner.input} names. */
    public List<TaskDef.Input> inputs() {
        List<TaskDef.Input> all = new ArrayList<>();
        for (TaskSpec spec : List.of(first, second)) {
            for (TaskDef.Input in : spec.inputs()) {
                all.add(new TaskDef.Input(InnerContext.outerName(spec, in.name()), in.ref(), in.constant(), in.type()));
            }
        }
        return all;
    }

    /** The outputs: the second task's declared ones (empty: one, named after the combined task). */
    public List<String> outputs() {
        return second.outputs();
    }

    /** The inner cache functions' values by inner task name, or null when neither has one. */
    public CacheFunction cache() {
        if (first.cache() == null && second.cache() == null) {
            return null;
        }
        return ctx -> {
            Map<String, Object> values = new LinkedHashMap<>();
            for (TaskSpec spec : List.of(first, second)) {
                if (spec.cache() != null) {
                    try {
                        values.put(spec.name(), spec.cache().value(ctx));
                    } catch (Exception e) {
                        throw new IllegalStateException(where(spec.name()) + e, e);
                    }
                }
            }
            return values;
        };
    }

    @Override
    public Object call(TaskContext ctx) throws Exception {
        InnerContext firstContext = new InnerContext(ctx, first, Map.of());
        Object returnedByFirst;
        try {
            returnedByFirst = first.function().call(firstContext);
        } catch (Exception e) {
            throw failure(ctx, where(first.name()), e, false);
        }
        Produced produced;
        try {
            produced = produced(returnedByFirst);
        } catch (RuntimeException e) {
            closeAll(returnedByFirst);
            throw failure(ctx, where(first.name()), e, true);
        }
        InnerContext secondContext = null;
        Set<Object> keep = Collections.newSetFromMap(new IdentityHashMap<>());
        try {
            Args args;
            Map<String, Object> bound;
            try {
                args = stitch.apply(produced);
            } catch (Exception e) {
                throw failure(ctx, whereStitch(), e, false);
            }
            try {
                bound = bind(args);
            } catch (RuntimeException e) {
                throw failure(ctx, whereStitch(), e, true);
            }
            secondContext = new InnerContext(ctx, second, bound);
            Object returned;
            try {
                returned = second.function().call(secondContext);
            } catch (Exception e) {
                throw failure(ctx, where(second.name()), e, false);
            }
            keep.addAll(Ownership.returnedPayloads(returned));
            return returned;
        } finally {
            release(produced, secondContext, keep);
        }
    }

    /** The first task's outputs by declared name, unwrapped to what the stitch hands on. */
    private Produced produced(Object returned) {
        List<String> declared = names(first);
        if (returned == null) {
            throw new IllegalArgumentException("the task returned null; it must return a value for its outputs " + declared);
        }
        List<Object> items = returned instanceof Outputs outs ? outs.values() : List.of(returned);
        if (items.size() != declared.size()) {
            throw new IllegalArgumentException("the task returned " + items.size() + " outputs but declares "
                    + declared.size() + " " + declared + "; declare them with outputs(...) on its spec");
        }
        Map<String, Object> byName = new LinkedHashMap<>();
        List<Object> unnamed = new ArrayList<>();
        for (Object item : items) {
            String itemName = item instanceof Table t ? t.name() : item instanceof Blob b ? b.name() : null;
            if (itemName != null && declared.contains(itemName) && !byName.containsKey(itemName)) {
                byName.put(itemName, item);
            } else {
                unnamed.add(item);
            }
        }
        Map<String, Object> ordered = new LinkedHashMap<>();
        int next = 0;
        for (String out : declared) {
            Object item = byName.containsKey(out) ? byName.get(out) : unnamed.get(next++);
            ordered.put(out, unwrap(out, item));
        }
        return new Produced(first.name(), ordered);
    }

    private static Object unwrap(String output, Object item) {
        if (item == null) {
            throw new IllegalArgumentException("output '" + output + "' is null");
        }
        Object value = item instanceof Table t ? t.payload() : item instanceof Blob b ? b.value() : item;
        if (value instanceof Sql) {
            throw new IllegalArgumentException("output '" + output + "' is lazy Sql, which runs inside the store;"
                    + " a combined task hands data over in memory, so return Arrow data or Rows");
        }
        return value instanceof VectorSchemaRoot root ? ArrowTable.of(root) : value;
    }

    /** The second task's stitched inputs by name: named arguments, then positional ones in takes order. */
    private Map<String, Object> bind(Args args) {
        if (args == null) {
            throw new IllegalArgumentException("the stitch returned null; return Args.of(...)");
        }
        List<String> open = new ArrayList<>(second.takes());
        Map<String, Object> bound = new LinkedHashMap<>();
        args.named().forEach((input, value) -> {
            if (!open.remove(input)) {
                throw new IllegalArgumentException("the stitch names argument '" + input + "', but inner task '"
                        + second.name() + "' takes " + second.takes());
            }
            bound.put(input, value);
        });
        if (args.positional().size() != open.size()) {
            throw new IllegalArgumentException("the stitch gives " + args.positional().size() + " positional"
                    + " arguments for the " + open.size() + " inputs " + open + " of inner task '" + second.name()
                    + "' it does not name");
        }
        for (int i = 0; i < open.size(); i++) {
            bound.put(open.get(i), args.positional().get(i));
        }
        return bound;
    }

    private static void release(Produced produced, InnerContext secondContext, Set<Object> keep) {
        List<Exception> failures = new ArrayList<>();
        if (secondContext != null) {
            secondContext.release(keep, failures);
        }
        for (Object value : produced.values().values()) {
            if (Ownership.isArrow(value) && !keep.contains(value)) {
                Ownership.close(value, failures);
            }
        }
        if (!failures.isEmpty()) {
            IllegalStateException e = new IllegalStateException("freeing the data handed between inner tasks failed",
                    failures.get(0));
            failures.stream().skip(1).forEach(e::addSuppressed);
            throw e;
        }
    }

    private static void closeAll(Object returned) {
        List<Object> items = returned instanceof Outputs outs ? outs.values() : java.util.Arrays.asList(returned);
        List<Exception> ignored = new ArrayList<>();
        for (Object item : items) {
            Ownership.close(item instanceof Table t ? t.payload() : item, ignored);
        }
    }

    private String where(String inner) {
        return "combined task '" + name + "', inner task '" + inner + "': ";
    }

    private String whereStitch() {
        return "combined task '" + name + "', stitch from '" + first.name() + "' to '" + second.name() + "': ";
    }

    /**
     * Names where it failed, and keeps a transient store failure transient so the engine retries it.
     *
     * @param ours true when {@code e} is this class's own sentence, false for the inner code's exception,
     *             whose type is part of the story
     */
    private static RuntimeException failure(TaskContext ctx, String where, Exception e, boolean ours) {
        if (e instanceof StoreException se) {
            return new StoreException(where + se.getMessage(), null, se.isTransient(), se);
        }
        String problem = ours || e instanceof TaskFailedException ? e.getMessage() : e.toString();
        return new TaskFailedException(ctx.flow(), ctx.stage(), ctx.task(), where + problem, e);
    }

    private static String versioned(TaskSpec spec) {
        return spec.version() == null ? spec.name() : spec.name() + "@" + spec.version();
    }

    private static List<String> names(TaskSpec spec) {
        return spec.outputs().isEmpty() ? List.of(spec.name()) : spec.outputs();
    }
}
