package dev.weir.examples;

import dev.weir.engine.FlowProvider;
import dev.weir.engine.NamedFlow;
import java.util.List;

/** The built-in example flows, as one {@link FlowProvider} among those on the class path. */
public final class ExamplesProvider implements FlowProvider {

    @Override
    public List<NamedFlow> flows() {
        return List.copyOf(Examples.all().values());
    }
}
