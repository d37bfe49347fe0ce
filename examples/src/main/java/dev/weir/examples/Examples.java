package dev.weir.examples;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * The example flows, by name. {@link #named} also finds an {@link ExampleFlow} registered for
 * {@link java.util.ServiceLoader} ({@code META-INF/services/dev.weir.examples.ExampleFlow}), such as
 * the flows the command line's own tests run in a child process; {@link #all} lists the built-in ones.
 */
public final class Examples {

    private static final List<Supplier<ExampleFlow>> ALL = List.of(MultiInstanceFlow::new, LazySqlFlow::new,
            InlineFlow::new, BatchedFlow::new, StreamingFlow::new, CombinedFlow::new);

    private Examples() {
    }

    /** A fresh instance of every example, by name, in a stable order. */
    public static Map<String, ExampleFlow> all() {
        Map<String, ExampleFlow> byName = new LinkedHashMap<>();
        ALL.forEach(s -> {
            ExampleFlow flow = s.get();
            byName.put(flow.name(), flow);
        });
        return byName;
    }

    public static Optional<ExampleFlow> named(String name) {
        ExampleFlow builtIn = all().get(name);
        if (builtIn != null) {
            return Optional.of(builtIn);
        }
        for (ExampleFlow flow : java.util.ServiceLoader.load(ExampleFlow.class, Examples.class.getClassLoader())) {
            if (flow.name().equals(name)) {
                return Optional.of(flow);
            }
        }
        return Optional.empty();
    }
}
