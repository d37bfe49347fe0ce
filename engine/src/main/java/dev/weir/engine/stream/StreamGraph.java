package dev.weir.engine.stream;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigUtil;
import com.typesafe.config.ConfigValueFactory;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * A validated graph of batch tasks fed by a source, with each task's settings and the run's bounds.
 * Immutable and thread-safe; one graph can be run many times.
 *
 * <pre>{@code
 * StreamGraph graph = StreamGraph.builder()
 *         .task("parse", parse).source("parse")
 *         .task("score", score, "parse")
 *         .task("flag", flag, "parse")
 *         .task("join", join, "score", "flag")
 *         .set("parse", "max-rows", 10_000)
 *         .configure(ConfigFactory.parseString("tasks.score.parallelism = 2"))
 *         .build();
 * }</pre>
 */
public final class StreamGraph {

    /** The name of the source in edges and in {@link BatchInput#table(String)}. */
    public static final String SOURCE = "source";

    private final Map<String, BatchFunction> functions;
    private final GraphShape shape;
    private final Map<String, TaskSettings> taskSettings;
    private final RunSettings runSettings;
    private final Map<String, Object> context;

    private StreamGraph(Map<String, BatchFunction> functions, GraphShape shape, Map<String, TaskSettings> taskSettings,
                        RunSettings runSettings, Map<String, Object> context) {
        this.functions = Map.copyOf(functions);
        this.shape = shape;
        this.taskSettings = Map.copyOf(taskSettings);
        this.runSettings = runSettings;
        this.context = Map.copyOf(context);
    }

    public static Builder builder() {
        return new Builder();
    }

    /** The task names, in definition order. */
    public List<String> tasks() {
        return List.copyOf(functions.keySet());
    }

    /** What feeds {@code task}: task names or {@link #SOURCE}, in declaration order. */
    public List<String> inputs(String task) {
        return shape.inputs(known(task));
    }

    /** The tasks {@code taskOrSource} feeds. */
    public List<String> downstream(String taskOrSource) {
        return shape.downstream(SOURCE.equals(taskOrSource) ? SOURCE : known(taskOrSource));
    }

    /** Whether {@code task} feeds no other task: its outputs are the run's outputs. */
    public boolean isTerminal(String task) {
        return downstream(task).isEmpty();
    }

    /** The distance from {@code task} to its nearest terminal (terminals are 0); lower runs first. */
    public int rank(String task) {
        return shape.rank(known(task));
    }

    /** The tasks upstream of {@code task}, the source excluded. */
    public Set<String> ancestors(String task) {
        return shape.ancestors(known(task));
    }

    public TaskSettings settings(String task) {
        return taskSettings.get(known(task));
    }

    public RunSettings runSettings() {
        return runSettings;
    }

    public Map<String, Object> context() {
        return context;
    }

    /**
     * The function of {@code task}. For a placement that runs calls in another process: that process
     * builds the same graph from the same code and runs the call's tasks by name.
     */
    public BatchFunction function(String task) {
        return functions.get(known(task));
    }

    private String known(String task) {
        if (!functions.containsKey(task)) {
            throw new IllegalArgumentException("there is no task named '" + task + "' (tasks are " + tasks() + ")");
        }
        return task;
    }

    /**
     * Defines a graph: tasks, edges, settings (set one by one, dplutils' {@code set_config}, or from
     * HOCON or YAML) and context values. Settings from later calls win. Not thread-safe.
     */
    public static final class Builder {

        private final Map<String, BatchFunction> functions = new LinkedHashMap<>();
        private final List<GraphShape.Edge> edges = new ArrayList<>();
        private final List<String> earlyProblems = new ArrayList<>();
        private final Map<String, Object> context = new LinkedHashMap<>();
        private Config settings = ConfigFactory.empty();

        private Builder() {
        }

        /** Adds a task; connect it with {@link #source}, {@link #edge} or the inputs overload. */
        public Builder task(String name, BatchFunction function) {
            Objects.requireNonNull(function, "function of task '" + name + "' is null");
            if (name == null || name.isBlank()) {
                earlyProblems.add("a task name cannot be blank");
            } else if (SOURCE.equals(name)) {
                earlyProblems.add("task '" + SOURCE + "': the name is reserved for the source");
            } else if (functions.putIfAbsent(name, function) != null) {
                earlyProblems.add("task '" + name + "' is defined twice");
            }
            return this;
        }

        /** Adds a task fed by {@code inputs} (task names, or {@link StreamGraph#SOURCE}), in this order. */
        public Builder task(String name, BatchFunction function, String... inputs) {
            task(name, function);
            for (String input : inputs) {
                edge(input, name);
            }
            return this;
        }

        /** {@code from} (a task or {@link StreamGraph#SOURCE}) feeds its output batches to {@code to}. */
        public Builder edge(String from, String to) {
            edges.add(new GraphShape.Edge(Objects.requireNonNull(from, "from is null"),
                    Objects.requireNonNull(to, "to is null")));
            return this;
        }

        /** The source feeds each of {@code tasks}. */
        public Builder source(String... tasks) {
            for (String task : tasks) {
                edge(SOURCE, task);
            }
            return this;
        }

        /** Sets one task setting, e.g. {@code set("parse", "max-rows", 10_000)}. */
        public Builder set(String task, String key, Object value) {
            return set(ConfigUtil.joinPath("tasks", task) + "." + key, value);
        }

        /** Sets one setting by path, e.g. {@code set("max-in-flight", 4)} or {@code set("tasks.parse.parallelism", 2)}. */
        public Builder set(String path, Object value) {
            settings = settings.withValue(path, ConfigValueFactory.fromAnyRef(value, "set(\"" + path + "\")"));
            return this;
        }

        /** Applies settings in the layout {@link StreamConfigReader} documents; they win over earlier ones. */
        public Builder configure(Config config) {
            settings = Objects.requireNonNull(config, "config is null").withFallback(settings);
            return this;
        }

        /** Applies settings written as YAML, in the same layout as {@link #configure(Config)}. */
        @SuppressWarnings("unchecked")
        public Builder configureYaml(String yaml) {
            try {
                Object tree = new ObjectMapper(new YAMLFactory()).readValue(yaml, Object.class);
                if (tree == null) {
                    return this;
                }
                if (!(tree instanceof Map<?, ?> map)) {
                    earlyProblems.add("YAML settings: expected a mapping of keys, was " + tree);
                    return this;
                }
                return configure(ConfigFactory.parseMap((Map<String, Object>) map, "YAML settings"));
            } catch (IOException e) {
                throw new UncheckedIOException("YAML settings could not be parsed: " + e.getMessage(), e);
            }
        }

        /** A value every task can read with {@link BatchInput#context(String, Class)}. */
        public Builder context(String key, Object value) {
            context.put(Objects.requireNonNull(key, "key is null"), Objects.requireNonNull(value, "value is null"));
            return this;
        }

        public Builder maxBatches(long maxBatches) {
            return set("max-batches", maxBatches);
        }

        public Builder maxInFlight(int maxInFlight) {
            return set("max-in-flight", maxInFlight);
        }

        public Builder parallelism(int parallelism) {
            return set("parallelism", parallelism);
        }

        public Builder budget(String resource, double amount) {
            return set(ConfigUtil.joinPath("budget", resource), amount);
        }

        /** Checks the graph and its settings without building it. */
        public Builder validate() {
            build();
            return this;
        }

        /** @throws StreamGraphException listing every problem, each naming its task or key */
        public StreamGraph build() {
            List<String> problems = new ArrayList<>(earlyProblems);
            GraphShape shape = new GraphShape(functions.keySet(), edges);
            problems.addAll(shape.problems());
            StreamConfigReader reader = new StreamConfigReader(settings, problems);
            RunSettings run = reader.run();
            Map<String, TaskSettings> tasks = reader.tasks(functions.keySet());
            Map<String, Object> allContext = new LinkedHashMap<>(reader.context());
            allContext.putAll(context);
            checkCombinations(shape, run, tasks, problems);
            if (!problems.isEmpty()) {
                throw new StreamGraphException(problems);
            }
            return new StreamGraph(functions, shape, tasks, run, allContext);
        }

        private void checkCombinations(GraphShape shape, RunSettings run, Map<String, TaskSettings> tasks,
                                       List<String> problems) {
            tasks.forEach((task, s) -> {
                String prefix = ConfigUtil.joinPath("tasks", task);
                if (s.maxRows() > 0 && shape.problems().isEmpty() && shape.inputs(task).size() > 1) {
                    problems.add(prefix + ".max-rows: task '" + task + "' has several inputs "
                            + shape.inputs(task) + "; max-rows splits the batches of a task with one input");
                }
                s.resources().forEach((resource, amount) -> {
                    Double budget = run.budget().get(resource);
                    if (budget != null && amount > budget) {
                        problems.add(prefix + ".resources." + resource + ": " + amount
                                + " is more than the run's budget." + resource + " of " + budget
                                + ", so the task could never run");
                    }
                });
            });
        }
    }
}
