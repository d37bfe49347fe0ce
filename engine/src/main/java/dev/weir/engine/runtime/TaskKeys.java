package dev.weir.engine.runtime;

import dev.weir.engine.Sql;
import dev.weir.engine.Table;
import dev.weir.engine.TaskDef;
import dev.weir.engine.TaskId;
import dev.weir.engine.cache.CacheKeys;
import dev.weir.engine.config.InstanceConfig;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import com.fasterxml.jackson.databind.JsonNode;
import java.util.function.Function;

/**
 * A task's position key (README: The cache rules): a hash of the flow's name, the task's stage, name and
 * kind, its inputs in name order, the instance's attrs for Java tasks, and its lazy queries and values
 * (canonical JSON), raw script or chunking. An input bound to a constant hashes as its canonical JSON, one
 * bound to a value output (a lazy task's included) as the value's canonical hash, one bound to a table or blob as its producer's full key. Nothing in it depends
 * on the order maps iterate in, hash seeds or identities, so a key is the same in every JVM. Immutable.
 */
final class TaskKeys {

    private final String flow;
    private final String attrsJson;

    /**
     * @param flow      the flow's name
     * @param attrsJson the instance's attrs as canonical JSON ({@link #attrsJson})
     */
    TaskKeys(String flow, String attrsJson) {
        this.flow = flow;
        this.attrsJson = attrsJson;
    }

    /** The instance's attrs as canonical JSON: part of every Java task's key, since tasks may read them. */
    static String attrsJson(InstanceConfig config) {
        return CacheKeys.canonicalJson(config.attrs().root().unwrapped());
    }

    /**
     * The task's position key, or null while an input is not known yet: an output of a Java task that runs
     * in this run and has not run yet (it may turn out a value), or of a deferred task.
     *
     * @param lazyTables the tables a lazy task's function returned (empty for other kinds)
     * @param lazyValues the values a lazy task's function returned next to its tables, by output
     * @param planOf     the plan of a producer
     * @param producedOf what a producer produced or carried forward, or null when not known
     */
    String positionKey(TaskDef task, List<Table> lazyTables, Map<String, JsonNode> lazyValues,
                       Function<TaskId, TaskPlan> planOf,
                       Function<TaskId, OutputSet> producedOf) {
        List<String> parts = new ArrayList<>(List.of("TASK", flow, task.stage(), task.name(), task.kind().name()));
        List<TaskDef.Input> inputs = new ArrayList<>(task.inputs());
        inputs.sort(Comparator.comparing(TaskDef.Input::name));
        for (TaskDef.Input input : inputs) {
            parts.add(input.name());
            if (input.ref() == null) {
                parts.add("CONSTANT");
                parts.add(CacheKeys.canonicalJson(input.constant()));
                continue;
            }
            TaskPlan producer = planOf.apply(input.ref().taskId());
            if (producer.decision() == TaskPlan.Decision.DEFERRED) {
                return null;
            }
            JsonNode lazyValue = producer.lazyValues().get(input.ref().output());
            if (lazyValue != null) {
                // known when the lazy producer was planned, so its readers are keyed by it like any value
                parts.add("VALUE");
                parts.add(CacheKeys.hashValue(lazyValue));
                continue;
            }
            OutputSet produced = producedOf.apply(producer.id());
            if (produced == null && producer.decision() == TaskPlan.Decision.RUN
                    && producer.task().kind() == TaskDef.Kind.FUNCTION) {
                return null;
            }
            OutputSet.Output output = produced == null ? null : outputOf(producer, produced, input.ref().output());
            if (output != null && output.kind() == OutputSet.Kind.VALUE) {
                parts.add("VALUE");
                parts.add(CacheKeys.hashValue(output.value()));
            } else {
                parts.add("OUTPUT");
                parts.add(producer.fullKey());
                parts.add(input.ref().output());
            }
        }
        if (task.kind() == TaskDef.Kind.FUNCTION) {
            parts.add("ATTRS");
            parts.add(attrsJson);
        }
        for (Table t : lazyTables) {
            parts.add(t.name());
            parts.add(((Sql) t.payload()).query());
            parts.add(String.valueOf(t.primaryKeyColumns()));
            parts.add(String.valueOf(t.indexes()));
        }
        for (Map.Entry<String, JsonNode> v : new java.util.TreeMap<>(lazyValues).entrySet()) {
            parts.add("LAZY-VALUE");
            parts.add(v.getKey());
            parts.add(CacheKeys.canonicalJson(v.getValue()));
        }
        if (task.kind() == TaskDef.Kind.RAW_SQL) {
            parts.add(task.rawScript());
        }
        if (task.batched()) {
            parts.add("BATCHED");
            parts.add(task.invocation().describe());
        }
        return CacheKeys.hash(parts.toArray(String[]::new));
    }

    /** The output {@code name} of a producer: a declared output, or a table a raw SQL script created; or null. */
    static OutputSet.Output outputOf(TaskPlan producer, OutputSet produced, String name) {
        OutputSet.Output output = produced.output(name).orElse(null);
        if (output == null && producer.task().kind() == TaskDef.Kind.RAW_SQL) {
            output = produced.tables().stream().filter(t -> t.table().equals(name)).findFirst().orElse(null);
        }
        return output;
    }
}
