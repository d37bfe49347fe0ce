package dev.weir.examples.readme;

import dev.weir.engine.Flow;
import dev.weir.engine.FlowProvider;
import dev.weir.engine.NamedFlow;
import dev.weir.engine.config.InstanceConfig;
import dev.weir.engine.config.WeirConfig;
import java.util.List;

// README "Your own flows", verbatim.
public final class MyFlows implements FlowProvider {
    public List<NamedFlow> flows() { return List.of(new Orders()); }   // Orders: name(), description(), create(...)
}

final class Orders implements NamedFlow {
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
