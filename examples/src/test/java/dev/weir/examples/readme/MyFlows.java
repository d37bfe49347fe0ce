package dev.weir.examples.readme;

import dev.weir.engine.Flow;
import dev.weir.engine.config.InstanceConfig;
import dev.weir.engine.config.WeirConfig;
import dev.weir.examples.ExampleFlow;
import dev.weir.examples.FlowProvider;
import java.util.List;

// README "Your own flows", verbatim.
public final class MyFlows implements FlowProvider {
    public List<ExampleFlow> flows() { return List.of(new Orders()); }   // Orders: name(), description(), create(...)
}

final class Orders implements ExampleFlow {
    @Override
    public String name() {
        return "orders";
    }

    @Override
    public String description() {
        return "the README's sales flow";
    }

    @Override
    public Flow create(WeirConfig config, InstanceConfig instance) {
        return ReadmeFlows.flow("1.0");
    }
}
