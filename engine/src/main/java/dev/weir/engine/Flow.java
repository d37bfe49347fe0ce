package dev.weir.engine;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.function.Consumer;

/**
 * A pipeline: stages of tasks wired by their inputs. Immutable and validated once defined:
 *
 * <pre>{@code
 * Flow flow = Flow.define("sales", f -> {
 *     Stage raw = f.stage("raw");
 *     Ref orders = raw.task("load_orders").version("1.0")
 *         .produces(ctx -> Table.of(readOrders(), "orders")).ref();
 *     Stage clean = f.stage("clean");
 *     clean.task("valid_orders").sql("SELECT * FROM {o} WHERE amount > 0", Map.of("o", orders));
 * });
 * }</pre>
 */
public final class Flow {

    private final String name;
    private final List<StageDef> stages;
    private final List<TaskDef> tasks;
    private final Map<TaskId, TaskDef> tasksById;
    private final Map<String, List<TaskDef>> tasksByName;
    private final Map<String, Set<String>> stageDependencies;

    Flow(String name, List<StageDef> stages, List<TaskDef> tasks) {
        this.name = Objects.requireNonNull(name, "name is null");
        this.stages = List.copyOf(stages);
        this.tasks = List.copyOf(tasks);
        Map<TaskId, TaskDef> byId = new LinkedHashMap<>();
        Map<String, List<TaskDef>> byName = new LinkedHashMap<>();
        tasks.forEach(t -> {
            byId.put(t.id(), t);
            byName.computeIfAbsent(t.name(), k -> new ArrayList<>()).add(t);
        });
        this.tasksById = byId;
        this.tasksByName = byName;
        checkOutputNames();
        this.stageDependencies = stageDependencies();
        checkStageCycles();
    }

    /** Defines a flow; {@code body} adds its stages and tasks. */
    public static Flow define(String name, Consumer<FlowBuilder> body) {
        if (name == null || name.isBlank()) {
            throw new IllegalArgumentException("a flow needs a non-blank name");
        }
        FlowBuilder builder = new FlowBuilder(name);
        body.accept(builder);
        return builder.build();
    }

    public String name() {
        return name;
    }

    public List<StageDef> stages() {
        return stages;
    }

    /** Every task, in definition order (which is a topological order). */
    public List<TaskDef> tasks() {
        return tasks;
    }

    /** The task {@code name} of {@code stage}. */
    public Optional<TaskDef> task(String stage, String name) {
        return Optional.ofNullable(tasksById.get(new TaskId(stage, name)));
    }

    public Optional<TaskDef> task(TaskId id) {
        return Optional.ofNullable(tasksById.get(id));
    }

    /**
     * The task of this name, when one stage has it. Task names are unique per stage, not per flow: a name
     * that several stages have is ambiguous, and this throws naming them; use {@link #task(String, String)}.
     */
    public Optional<TaskDef> task(String taskName) {
        List<TaskDef> found = tasksByName.getOrDefault(taskName, List.of());
        if (found.size() > 1) {
            throw new IllegalArgumentException("flow '" + name + "' has a task '" + taskName + "' in stages "
                    + found.stream().map(TaskDef::stage).toList() + "; name it by stage and task: "
                    + found.stream().map(t -> t.id().toString()).toList());
        }
        return found.stream().findFirst();
    }

    public List<TaskDef> tasksOf(String stage) {
        return tasks.stream().filter(t -> t.stage().equals(stage)).toList();
    }

    /** The stages whose committed tables tasks of {@code stage} read. */
    public Set<String> stageDependencies(String stage) {
        return stageDependencies.getOrDefault(stage, Set.of());
    }

    /**
     * The tasks selected by {@code names}, each a stage (all its tasks and those of its nested stages), a
     * task as {@code stage/task}, or a task name that one stage has. Empty selects everything.
     */
    public Set<TaskId> select(Set<String> names) {
        Set<TaskId> selected = new LinkedHashSet<>();
        if (names.isEmpty()) {
            tasks.forEach(t -> selected.add(t.id()));
            return selected;
        }
        for (String n : names) {
            Optional<TaskDef> task = namedTask(n);
            if (task.isPresent()) {
                selected.add(task.get().id());
            } else if (stages.stream().anyMatch(s -> s.name().equals(n))) {
                for (TaskDef t : tasks) {
                    if (isWithin(t.stage(), n)) {
                        selected.add(t.id());
                    }
                }
            } else {
                throw new FlowDefinitionException(name, null, null, "nothing named '" + n
                        + "' to run: not a stage " + stages.stream().map(StageDef::name).toList()
                        + " nor a task of this flow (name a task as stage/task)");
            }
        }
        return selected;
    }

    /** The tasks that {@code names} name one by one ({@code stage/task} or a unique task name), not by stage. */
    public Set<TaskId> namedTasks(Set<String> names) {
        Set<TaskId> named = new LinkedHashSet<>();
        for (String n : names) {
            namedTask(n).ifPresent(t -> named.add(t.id()));
        }
        return named;
    }

    /**
     * The task {@code n} names: {@code stage/task}, or a task name that only one stage has. A name that
     * several stages have is an error listing the qualified names to choose from.
     */
    private Optional<TaskDef> namedTask(String n) {
        int slash = n.lastIndexOf('/');
        if (slash > 0) {
            TaskDef qualified = tasksById.get(new TaskId(n.substring(0, slash), n.substring(slash + 1)));
            if (qualified != null) {
                return Optional.of(qualified);
            }
        }
        List<TaskDef> found = tasksByName.getOrDefault(n, List.of());
        if (found.size() > 1) {
            throw new FlowDefinitionException(name, null, null, "the task name '" + n + "' is ambiguous: stages "
                    + found.stream().map(TaskDef::stage).toList() + " each have a task of that name; name one as "
                    + String.join(" or ", found.stream().map(t -> t.id().toString()).toList()));
        }
        return found.stream().findFirst();
    }

    private boolean isWithin(String stage, String ancestor) {
        String s = stage;
        while (s != null) {
            if (s.equals(ancestor)) {
                return true;
            }
            String current = s;
            s = stages.stream().filter(d -> d.name().equals(current)).findFirst().map(StageDef::parent).orElse(null);
        }
        return false;
    }

    private void checkOutputNames() {
        Map<String, String> owners = new HashMap<>();
        for (TaskDef t : tasks) {
            Set<String> own = new HashSet<>();
            for (String out : t.outputs()) {
                if (out == null || out.isBlank()) {
                    throw new FlowDefinitionException(name, t.stage(), t.name(), "an output needs a non-blank name");
                }
                if (!own.add(out)) {
                    throw new FlowDefinitionException(name, t.stage(), t.name(), "output '" + out + "' is declared twice");
                }
                // DuckDB matches table names without regard to case: "Orders" and "orders" are one table there
                String previous = owners.putIfAbsent(t.stage() + "\u0000" + out.toLowerCase(java.util.Locale.ROOT),
                        t.name());
                if (previous != null) {
                    throw new FlowDefinitionException(name, t.stage(), t.name(), "output '" + out
                            + "' would be a second table of that name (ignoring case) in the stage (task '" + previous
                            + "' has one); name the outputs apart");
                }
            }
        }
    }

    private Map<String, Set<String>> stageDependencies() {
        Map<String, Set<String>> deps = new HashMap<>();
        for (TaskDef t : tasks) {
            for (Ref ref : t.upstream()) {
                if (!ref.stage().equals(t.stage())) {
                    deps.computeIfAbsent(t.stage(), k -> new LinkedHashSet<>()).add(ref.stage());
                }
            }
        }
        return deps;
    }

    private void checkStageCycles() {
        Map<String, Integer> mark = new HashMap<>();
        for (StageDef s : stages) {
            visit(s.name(), mark, new ArrayList<>());
        }
    }

    private void visit(String stage, Map<String, Integer> mark, List<String> path) {
        Integer m = mark.get(stage);
        if (m != null && m == 2) {
            return;
        }
        path.add(stage);
        if (m != null) {
            throw new FlowDefinitionException(name, stage, null, "the stages form a cycle " + String.join(" -> ", path)
                    + ": a stage commits after the stages it reads, so tasks may not read each other's stages"
                    + " both ways");
        }
        mark.put(stage, 1);
        for (String dep : stageDependencies.getOrDefault(stage, Set.of())) {
            visit(dep, mark, path);
        }
        mark.put(stage, 2);
        path.remove(path.size() - 1);
    }

    @Override
    public String toString() {
        return "Flow[" + name + ", " + stages.size() + " stages, " + tasks.size() + " tasks]";
    }
}
