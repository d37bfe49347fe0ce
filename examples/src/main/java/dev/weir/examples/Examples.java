package dev.weir.examples;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;

/** The example flows, by name. */
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
        return Optional.ofNullable(all().get(name));
    }
}
