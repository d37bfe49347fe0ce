package dev.weir.engine.combine;

import dev.weir.engine.CacheFunction;
import dev.weir.engine.Ref;
import dev.weir.engine.TaskDef;
import dev.weir.engine.TaskFunction;
import dev.weir.engine.data.ArrowTable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * A reusable task body that is not yet part of a flow: a name, a version, inputs and a function.
 * Two specs are fused into one task with {@code stage.task("migrate").combine(first, second)}; one spec
 * becomes an ordinary task with {@code stage.task("name").runs(spec)}.
 *
 * <pre>{@code
 * TaskSpec read = TaskSpec.named("read_orders").version("2")
 *         .produces(ctx -> source.stream(ctx.allocator()));                 // an ArrowReader
 * TaskSpec write = TaskSpec.named("write_orders").version("1")
 *         .takes("orders")                                                  // filled by the stitch
 *         .produces(ctx -> Table.of(ctx.input("orders", ArrowTable.class)));
 * }</pre>
 *
 * An input is either bound here ({@link Builder#input}, {@link Builder#constant}) or only named
 * ({@link Builder#takes}): a named input of the second task of a combination is filled from the first
 * task's outputs, in memory. Immutable.
 *
 * @param name     the inner task's name, used in error messages and in the combined task's version
 * @param version  its code version, or null
 * @param cache    its cache function, or null
 * @param inputs   the inputs bound to upstream outputs or constants, in order
 * @param takes    the inputs left for a stitch to fill, in order (positional arguments fill them in this order)
 * @param outputs  the declared output names, or empty for one output named after the task using the spec
 * @param function the body
 */
public record TaskSpec(String name, String version, CacheFunction cache, List<TaskDef.Input> inputs,
                       List<String> takes, List<String> outputs, TaskFunction function) {

    public TaskSpec {
        if (name == null || name.isBlank()) {
            throw new IllegalArgumentException("a task spec needs a non-blank name");
        }
        inputs = List.copyOf(inputs);
        takes = List.copyOf(takes);
        outputs = List.copyOf(outputs);
        Objects.requireNonNull(function, "function is null");
        List<String> names = new ArrayList<>(inputs.stream().map(TaskDef.Input::name).toList());
        names.addAll(takes);
        for (String n : names) {
            if (names.indexOf(n) != names.lastIndexOf(n)) {
                throw new IllegalArgumentException("task spec '" + name + "': input '" + n + "' is declared twice");
            }
        }
    }

    /** Starts a spec. */
    public static Builder named(String name) {
        return new Builder(name);
    }

    /**
     * This spec with its named input {@code input} bound to an upstream output, so it can run on its own
     * ({@code stage.task("write").runs(write.bind("orders", ordersRef))}).
     */
    public TaskSpec bind(String input, Ref ref) {
        Objects.requireNonNull(ref, "ref is null");
        if (!takes.contains(input)) {
            throw new IllegalArgumentException("task spec '" + name + "' takes no input '" + input
                    + "' to bind; it takes " + takes);
        }
        List<TaskDef.Input> bound = new ArrayList<>(inputs);
        bound.add(new TaskDef.Input(input, ref, null, ArrowTable.class));
        List<String> left = new ArrayList<>(takes);
        left.remove(input);
        return new TaskSpec(name, version, cache, bound, left, outputs, function);
    }

    /** Defines a {@link TaskSpec}. Not thread-safe; used while a flow is defined. */
    public static final class Builder {

        private final String name;
        private String version;
        private CacheFunction cache;
        private final List<TaskDef.Input> inputs = new ArrayList<>();
        private final List<String> takes = new ArrayList<>();
        private final List<String> outputs = new ArrayList<>();

        private Builder(String name) {
            if (name == null || name.isBlank()) {
                throw new IllegalArgumentException("a task spec needs a non-blank name");
            }
            this.name = name;
        }

        /** The code version: bump it when the code changes what it produces. */
        public Builder version(String codeVersion) {
            this.version = Objects.requireNonNull(codeVersion, "version is null");
            return this;
        }

        /** A cache function whose value joins the cache key (to detect fresh input). */
        public Builder cache(CacheFunction function) {
            this.cache = Objects.requireNonNull(function, "cache function is null");
            return this;
        }

        /** Binds an upstream output as input {@code inputName}. */
        public Builder input(String inputName, Ref ref) {
            return input(inputName, ref, ArrowTable.class);
        }

        /** Binds an upstream output as input {@code inputName}, read as {@code type}. */
        public Builder input(String inputName, Ref ref, Class<?> type) {
            inputs.add(new TaskDef.Input(inputName, Objects.requireNonNull(ref, "ref is null"), null, type));
            return this;
        }

        /** Binds a constant argument; its JSON form joins the cache key. */
        public Builder constant(String inputName, Object value) {
            Objects.requireNonNull(value, "value is null");
            inputs.add(new TaskDef.Input(inputName, null, value, value.getClass()));
            return this;
        }

        /**
         * Names inputs the spec reads but does not bind: in a combination, the stitch fills them from the
         * first task's outputs (positional arguments in the order given here).
         */
        public Builder takes(String... inputNames) {
            for (String n : inputNames) {
                if (n == null || n.isBlank()) {
                    throw new IllegalArgumentException("task spec '" + name + "': an input needs a non-blank name");
                }
                takes.add(n);
            }
            return this;
        }

        /** Declares the outputs by name, in the order the function returns them. */
        public Builder outputs(String... names) {
            if (names.length == 0) {
                throw new IllegalArgumentException("task spec '" + name + "': outputs(...) needs at least one name");
            }
            outputs.clear();
            outputs.addAll(Arrays.asList(names));
            return this;
        }

        /** The body; ends the definition. */
        public TaskSpec produces(TaskFunction function) {
            return new TaskSpec(name, version, cache, inputs, takes, outputs, function);
        }
    }
}
