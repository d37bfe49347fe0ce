package dev.weir.engine;

import dev.weir.engine.combine.CombinedTask;
import dev.weir.engine.combine.Stitch;
import dev.weir.engine.combine.TaskSpec;
import dev.weir.engine.config.InstanceConfig;
import dev.weir.engine.data.ArrowTable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Defines one task: {@code stage.task("name").version("1").input("df", ref, Rows.class).produces(ctx -> …)}.
 * A terminal call ({@link #produces}, {@link #sql}, {@link #rawSql}) adds the task to its flow and
 * returns its {@link TaskHandle}. Not thread-safe; used while a flow is defined.
 */
public final class TaskBuilder {

    private static final Pattern PLACEHOLDER = Pattern.compile("\\{([A-Za-z_][A-Za-z0-9_]*)}");

    private final FlowBuilder flow;
    private final String stage;
    private final String name;
    private String version;
    private CacheFunction cache;
    private boolean lazy;
    private Class<?> defaultInputType = ArrowTable.class;
    private final List<TaskDef.Input> inputs = new ArrayList<>();
    private final List<String> outputs = new ArrayList<>();
    private InstanceConfig sourceInstance;
    private dev.weir.engine.batch.InvocationHook invocation;
    private String sourceStage;
    private java.time.Duration timeout;
    private java.time.Duration chunkTimeout;
    private boolean built;

    TaskBuilder(FlowBuilder flow, String stage, String name) {
        this.flow = flow;
        this.stage = stage;
        this.name = name;
    }

    /** The code version: bump it when the task's code changes what it produces. */
    public TaskBuilder version(String codeVersion) {
        this.version = Objects.requireNonNull(codeVersion, "version is null");
        return this;
    }

    /** A cache function whose value joins the cache key (to detect fresh input). */
    public TaskBuilder cache(CacheFunction function) {
        this.cache = Objects.requireNonNull(function, "cache function is null");
        return this;
    }

    /** Marks the task lazy: it returns {@link Sql} that runs inside the store. */
    public TaskBuilder lazy() {
        this.lazy = true;
        return this;
    }

    /** The type table inputs are dematerialized as when {@link #input(String, Ref)} names none. */
    public TaskBuilder inputType(Class<?> type) {
        this.defaultInputType = Objects.requireNonNull(type, "type is null");
        return this;
    }

    /** Binds an upstream output as input {@code inputName}, read as the task's input type. */
    public TaskBuilder input(String inputName, Ref ref) {
        return input(inputName, ref, defaultInputType);
    }

    /** Binds an upstream output as input {@code inputName}, read as {@code type}. */
    public TaskBuilder input(String inputName, Ref ref, Class<?> type) {
        addInput(new TaskDef.Input(inputName, Objects.requireNonNull(ref, "ref is null"), null, type));
        return this;
    }

    /** Binds a constant argument; its JSON form joins the cache key. */
    public TaskBuilder constant(String inputName, Object value) {
        Objects.requireNonNull(value, "value is null");
        addInput(new TaskDef.Input(inputName, null, value, value.getClass()));
        return this;
    }

    /** Declares the task's outputs by name, in the order it returns them. Default: one, named after the task. */
    public TaskBuilder outputs(String... names) {
        if (names.length == 0) {
            throw new IllegalArgumentException("task '" + name + "': outputs(...) needs at least one name");
        }
        outputs.clear();
        outputs.addAll(Arrays.asList(names));
        return this;
    }

    /**
     * Lets the task read the committed tables of another instance's stage (by default the stage of the
     * same name), e.g. to copy a filtered sample of {@code full} into {@code mini}. The source stage's
     * version joins the cache key, so the task reruns when the source is recommitted.
     */
    public TaskBuilder sourceInstance(InstanceConfig source) {
        return sourceInstance(source, stage);
    }

    public TaskBuilder sourceInstance(InstanceConfig source, String stageName) {
        this.sourceInstance = Objects.requireNonNull(source, "source instance is null");
        this.sourceStage = Objects.requireNonNull(stageName, "stage is null");
        return this;
    }

    /**
     * Splits the task into chunks (pipedag #205): each chunk reads only its rows of the inputs, calls the
     * task and appends its rows to the output; chunks run in parallel with bounded memory. E.g. {@code .batched(Batched.hashOf("customer_id", 50))}.
     */
    public TaskBuilder batched(dev.weir.engine.batch.InvocationHook hook) {
        this.invocation = Objects.requireNonNull(hook, "hook is null");
        return this;
    }

    /**
     * How long one attempt of this task may run, overriding the instance's {@code task_timeout}. A task
     * over its limit fails naming itself and the limit, is not retried, and its thread is interrupted.
     */
    public TaskBuilder timeout(java.time.Duration limit) {
        this.timeout = positive(limit, "timeout");
        return this;
    }

    /** How long one chunk of this batched task may compute, and again upload, overriding {@code chunk_timeout}. */
    public TaskBuilder chunkTimeout(java.time.Duration limit) {
        this.chunkTimeout = positive(limit, "chunk timeout");
        return this;
    }

    private java.time.Duration positive(java.time.Duration limit, String what) {
        Objects.requireNonNull(limit, what + " is null");
        if (limit.isNegative() || limit.isZero()) {
            throw new FlowDefinitionException(flow.name(), stage, name, "the " + what + " must be positive, was "
                    + limit);
        }
        return limit;
    }

    /** Defines the task's body and adds it to the flow. */
    public TaskHandle produces(TaskFunction function) {
        Objects.requireNonNull(function, "function is null");
        return build(lazy ? TaskDef.Kind.LAZY : TaskDef.Kind.FUNCTION, function, null);
    }

    /**
     * Fuses two task specs into this one task (see {@link CombinedTask}): the first's one output is
     * handed in memory to the second's one {@code takes(...)} input. A version set on this builder is the
     * combined task's own (bump it when the combination changes); the inputs and outputs come from the specs.
     */
    public TaskHandle combine(TaskSpec first, TaskSpec second) {
        return defineCombined(first, second, null);
    }

    /** Fuses two task specs into this one task; {@code stitch} maps the first's outputs to the second's arguments. */
    public TaskHandle combine(TaskSpec first, TaskSpec second, Stitch stitch) {
        return defineCombined(first, second, Objects.requireNonNull(stitch, "stitch is null"));
    }

    /** Makes a task spec an ordinary task of this name; its {@code takes(...)} inputs must be bound first. */
    public TaskHandle runs(TaskSpec spec) {
        requireOnlyNameAndVersion("runs(spec)");
        if (!spec.takes().isEmpty()) {
            throw new FlowDefinitionException(flow.name(), stage, name, "task spec '" + spec.name() + "' takes "
                    + spec.takes() + " unbound; bind them first: spec.bind(\"" + spec.takes().get(0) + "\", ref)");
        }
        version = version != null ? version : spec.version();
        cache = spec.cache();
        spec.inputs().forEach(this::addInput);
        outputs.addAll(spec.outputs());
        return build(TaskDef.Kind.FUNCTION, spec.function(), null);
    }

    private TaskHandle defineCombined(TaskSpec first, TaskSpec second, Stitch stitch) {
        requireOnlyNameAndVersion("combine(...)");
        CombinedTask combined = CombinedTask.of(flow.name(), stage, name, first, second, stitch, version);
        version = combined.version();
        cache = combined.cache();
        combined.inputs().forEach(this::addInput);
        outputs.addAll(combined.outputs());
        return build(TaskDef.Kind.FUNCTION, combined, null);
    }

    private void requireOnlyNameAndVersion(String call) {
        if (cache != null || lazy || !inputs.isEmpty() || !outputs.isEmpty() || sourceInstance != null) {
            throw new FlowDefinitionException(flow.name(), stage, name, call + " takes the cache function, inputs"
                    + " and outputs from its task specs; declare them there, and only a version on this builder");
        }
    }

    /**
     * A lazy task from an SQL template: {@code {name}} stands for the input named {@code name}
     * (quoted and qualified by the store). Inputs are bound from {@code refs}.
     */
    public TaskHandle sql(String template, Map<String, Ref> refs) {
        Objects.requireNonNull(template, "template is null");
        bindInOrder(refs);
        Matcher m = PLACEHOLDER.matcher(template);
        while (m.find()) {
            if (!refs.containsKey(m.group(1))) {
                throw new FlowDefinitionException(flow.name(), stage, name,
                        "the SQL template names {" + m.group(1) + "} but the inputs are " + refs.keySet());
            }
        }
        lazy = true;
        return build(TaskDef.Kind.LAZY, ctx -> Table.of(Sql.of(render(template, ctx))), null);
    }

    /**
     * A raw SQL task: a script of one or more statements that creates tables. {@code {out}} stands for
     * the stage's schema being written, {@code {name}} for the input named {@code name}. The tables it
     * creates are its outputs, referenced by {@code handle.ref("table")}.
     */
    public TaskHandle rawSql(String script, Map<String, Ref> refs) {
        Objects.requireNonNull(script, "script is null");
        bindInOrder(refs);
        return build(TaskDef.Kind.RAW_SQL, null, script);
    }

    /** Binds {@code refs} in name order: a {@code Map.of} iterates in an order that changes between JVMs. */
    private void bindInOrder(Map<String, Ref> refs) {
        new java.util.TreeMap<>(refs).forEach((inputName, ref) -> input(inputName, ref, Ref.class));
    }

    static String render(String template, TaskContext ctx) {
        Matcher m = PLACEHOLDER.matcher(template);
        StringBuilder out = new StringBuilder();
        while (m.find()) {
            m.appendReplacement(out, Matcher.quoteReplacement(ctx.sqlName(m.group(1))));
        }
        m.appendTail(out);
        return out.toString();
    }

    private void addInput(TaskDef.Input input) {
        if (inputs.stream().anyMatch(i -> i.name().equals(input.name()))) {
            throw new FlowDefinitionException(flow.name(), stage, name, "input '" + input.name() + "' is bound twice");
        }
        inputs.add(input);
    }

    private TaskHandle build(TaskDef.Kind kind, TaskFunction function, String script) {
        if (built) {
            throw new FlowDefinitionException(flow.name(), stage, name, "the task is already defined");
        }
        built = true;
        List<String> declared = outputs.isEmpty() && kind != TaskDef.Kind.RAW_SQL ? List.of(name) : outputs;
        if (invocation != null && kind != TaskDef.Kind.FUNCTION) {
            throw new FlowDefinitionException(flow.name(), stage, name, "only Java tasks can be batched; lazy and raw"
                    + " SQL tasks already run inside the store");
        }
        TaskDef def = new TaskDef(stage, name, kind, version, cache, inputs, declared, function, script,
                sourceInstance, sourceStage, invocation, timeout, chunkTimeout);
        flow.add(def);
        return new TaskHandle(def);
    }
}
