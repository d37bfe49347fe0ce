package com.example.flows;

import dev.weir.engine.FlowProvider;
import dev.weir.engine.NamedFlow;
import java.util.List;

/** This jar's flows, found by weir through META-INF/services. */
public final class MyFlows implements FlowProvider {

    @Override
    public List<NamedFlow> flows() {
        return List.of(new SalesFlow());
    }
}
