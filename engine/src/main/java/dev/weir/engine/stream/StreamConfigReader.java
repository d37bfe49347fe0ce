package dev.weir.engine.stream;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigUtil;
import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueType;
import java.time.Duration;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Reads a graph's configuration into validated records, collecting every problem as a sentence that
 * names the key ({@code tasks.parse.max-rows: must be at least 1, was 0}) instead of stopping at the
 * first. The layout, in HOCON:
 *
 * <pre>{@code
 * max-batches = 100          # default: until the source is exhausted
 * max-in-flight = 8
 * parallelism = 4
 * budget { memory-mb = 2048 }
 * progress-interval = 1s
 * call-timeout = 30m         # default; how long one task call or source pull may take
 * context { model = "v2" }
 * tasks {
 *   parse { max-rows = 10000, parallelism = 2, resources { memory-mb = 512 }, on-error = skip, timeout = 5m }
 * }
 * }</pre>
 */
final class StreamConfigReader {

    static final Set<String> RUN_KEYS = Set.of("max-batches", "max-in-flight", "parallelism", "budget",
            "progress-interval", "call-timeout", "context", "tasks");
    static final Set<String> TASK_KEYS = Set.of("max-rows", "parallelism", "resources", "on-error", "timeout");

    private final Config config;
    private final List<String> problems;

    StreamConfigReader(Config config, List<String> problems) {
        this.config = config;
        this.problems = problems;
    }

    RunSettings run() {
        unknownKeys(config, "", RUN_KEYS, "a run setting");
        RunSettings d = RunSettings.DEFAULTS;
        long maxBatches = config.hasPath("max-batches") ? positiveLong("max-batches") : d.maxBatches();
        int maxInFlight = config.hasPath("max-in-flight") ? positiveInt("max-in-flight") : d.maxInFlight();
        int parallelism = config.hasPath("parallelism") ? positiveInt("parallelism") : d.parallelism();
        Map<String, Double> budget = config.hasPath("budget") ? amounts("budget") : d.budget();
        Duration interval = duration("progress-interval", d.progressInterval());
        Duration callTimeout = duration("call-timeout", d.callTimeout());
        return new RunSettings(Math.max(maxBatches, 0), Math.max(maxInFlight, 1), Math.max(parallelism, 1), budget,
                interval, callTimeout);
    }

    /** Every configured task's settings; a task that is not in {@code tasks} is a problem. */
    Map<String, TaskSettings> tasks(Collection<String> taskNames) {
        Map<String, TaskSettings> settings = new LinkedHashMap<>();
        taskNames.forEach(name -> settings.put(name, TaskSettings.DEFAULTS));
        if (!config.hasPath("tasks")) {
            return settings;
        }
        if (!isObject("tasks")) {
            return settings;
        }
        for (String name : config.getObject("tasks").keySet()) {
            String prefix = ConfigUtil.joinPath("tasks", name);
            if (!settings.containsKey(name)) {
                problems.add(prefix + ": there is no task named '" + name + "' (tasks are " + taskNames + ")");
                continue;
            }
            if (isObject(prefix)) {
                settings.put(name, task(prefix));
            }
        }
        return settings;
    }

    Map<String, Object> context() {
        if (!config.hasPath("context") || !isObject("context")) {
            return Map.of();
        }
        return new LinkedHashMap<>(config.getObject("context").unwrapped());
    }

    private TaskSettings task(String prefix) {
        Config task = config.getConfig(prefix);
        unknownKeys(task, prefix + ".", TASK_KEYS, "a task setting");
        TaskSettings d = TaskSettings.DEFAULTS;
        int maxRows = task.hasPath("max-rows") ? positiveInt(prefix + ".max-rows") : d.maxRows();
        int parallelism = task.hasPath("parallelism") ? positiveInt(prefix + ".parallelism") : d.parallelism();
        Map<String, Double> resources = task.hasPath("resources") ? amounts(prefix + ".resources") : d.resources();
        OnError onError = d.onError();
        if (task.hasPath("on-error")) {
            String value = String.valueOf(config.getValue(prefix + ".on-error").unwrapped());
            try {
                onError = OnError.valueOf(value.toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                problems.add(prefix + ".on-error: expected fail or skip, was '" + value + "'");
            }
        }
        Duration timeout = task.hasPath("timeout") ? duration(prefix + ".timeout", null) : d.timeout();
        return new TaskSettings(Math.max(maxRows, 0), Math.max(parallelism, 1), resources, onError, timeout);
    }

    /** The positive duration at {@code path} if set, else (or when it is not one, noted) {@code otherwise}. */
    private Duration duration(String path, Duration otherwise) {
        if (!config.hasPath(path)) {
            return otherwise;
        }
        try {
            Duration value = config.getDuration(path);
            if (value.isZero() || value.isNegative()) {
                problems.add(path + ": must be positive, was " + value);
                return otherwise;
            }
            return value;
        } catch (ConfigException e) {
            problems.add(path + ": expected a duration such as 1s, was " + render(path));
            return otherwise;
        }
    }

    private void unknownKeys(Config scope, String prefix, Set<String> known, String what) {
        for (String key : scope.root().keySet()) {
            if (!known.contains(key)) {
                problems.add(prefix + key + ": unknown key; " + what + " is one of " + known.stream().sorted().toList());
            }
        }
    }

    private boolean isObject(String path) {
        if (config.getValue(path).valueType() == ConfigValueType.OBJECT) {
            return true;
        }
        problems.add(path + ": expected an object { ... }, was " + render(path));
        return false;
    }

    private int positiveInt(String path) {
        long value = positiveLong(path);
        if (value > Integer.MAX_VALUE) {
            problems.add(path + ": must be at most " + Integer.MAX_VALUE + ", was " + value);
            return 1;
        }
        return (int) value;
    }

    private long positiveLong(String path) {
        try {
            long value = config.getLong(path);
            if (value < 1) {
                problems.add(path + ": must be at least 1, was " + value);
                return 1;
            }
            return value;
        } catch (ConfigException e) {
            problems.add(path + ": expected a whole number, was " + render(path));
            return 1;
        }
    }

    private Map<String, Double> amounts(String path) {
        if (!isObject(path)) {
            return Map.of();
        }
        Map<String, Double> amounts = new LinkedHashMap<>();
        for (Map.Entry<String, ConfigValue> entry : config.getObject(path).entrySet()) {
            String key = path + "." + ConfigUtil.quoteString(entry.getKey()).replaceAll("^\"([A-Za-z0-9_-]+)\"$", "$1");
            Object raw = entry.getValue().unwrapped();
            if (!(raw instanceof Number number) || !(number.doubleValue() > 0)) {
                problems.add(key + ": must be a positive number, was " + entry.getValue().render());
                continue;
            }
            amounts.put(entry.getKey(), number.doubleValue());
        }
        return amounts;
    }

    private String render(String path) {
        ConfigValue value = config.getValue(path);
        return value.valueType().name().toLowerCase(Locale.ROOT) + " " + value.render();
    }
}
