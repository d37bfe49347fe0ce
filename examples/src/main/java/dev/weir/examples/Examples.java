package dev.weir.examples;

import dev.weir.engine.NamedFlow;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * The example flows, by name. {@link #named} also finds a {@link NamedFlow} registered for
 * {@link java.util.ServiceLoader} ({@code META-INF/services/dev.weir.engine.NamedFlow}, or the deprecated
 * {@code dev.weir.examples.ExampleFlow}), such as the flows the command line's own tests run in a child
 * process; {@link #all} lists the built-in ones.
 */
public final class Examples {

    private static final List<Supplier<NamedFlow>> ALL = List.of(MultiInstanceFlow::new, LazySqlFlow::new,
            InlineFlow::new, BatchedFlow::new, StreamingFlow::new, CombinedFlow::new);

    private Examples() {
    }

    /** A fresh instance of every example, by name, in a stable order. */
    public static Map<String, NamedFlow> all() {
        Map<String, NamedFlow> byName = new LinkedHashMap<>();
        ALL.forEach(s -> {
            NamedFlow flow = s.get();
            byName.put(flow.name(), flow);
        });
        return byName;
    }

    public static Optional<NamedFlow> named(String name) {
        NamedFlow builtIn = all().get(name);
        if (builtIn != null) {
            return Optional.of(builtIn);
        }
        return registered(name, Examples.class.getClassLoader());
    }

    /**
     * The flow of that name registered on its own in {@code loader}, as a {@link NamedFlow} or else as a
     * (deprecated) {@link ExampleFlow}.
     *
     * @throws java.util.ServiceConfigurationError when a registered flow cannot be loaded
     */
    @SuppressWarnings("deprecation")
    public static Optional<NamedFlow> registered(String name, ClassLoader loader) {
        for (NamedFlow flow : java.util.ServiceLoader.load(NamedFlow.class, loader)) {
            if (flow.name().equals(name)) {
                return Optional.of(flow);
            }
        }
        for (ExampleFlow flow : java.util.ServiceLoader.load(ExampleFlow.class, loader)) {
            if (flow.name().equals(name)) {
                return Optional.of(flow);
            }
        }
        return Optional.empty();
    }
}
