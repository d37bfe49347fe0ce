package dev.weir.examples;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * The example flows, by name: the built-in ones, then any {@link ExampleFlow} registered for
 * {@link java.util.ServiceLoader} ({@code META-INF/services/dev.weir.examples.ExampleFlow}), such as
 * the flows the command line's own tests run in a child process.
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
        java.util.ServiceLoader.load(ExampleFlow.class, Examples.class.getClassLoader())
                .forEach(flow -> byName.putIfAbsent(flow.name(), flow));
        return byName;
    }

    public static Optional<ExampleFlow> named(String name) {
        return Optional.ofNullable(all().get(name));
    }
}
