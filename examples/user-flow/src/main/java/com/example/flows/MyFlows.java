package com.example.flows;

import dev.weir.examples.ExampleFlow;
import dev.weir.examples.FlowProvider;
import java.util.List;

/** This jar's flows, found by weir through META-INF/services. */
public final class MyFlows implements FlowProvider {

    @Override
    public List<ExampleFlow> flows() {
        return List.of(new SalesFlow());
    }
}
