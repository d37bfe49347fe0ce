package dev.weir.examples.cli;

import dev.weir.cluster.CodeHash;
import dev.weir.cluster.FlowResolver;
import dev.weir.engine.Flow;
import dev.weir.engine.NamedFlow;
import dev.weir.engine.config.InstanceConfig;
import dev.weir.engine.config.WeirConfig;
import java.util.Optional;

/**
 * The command line's flows for cluster nodes: a flow is found by name in the {@link FlowCatalog} (the
 * built-in examples and the providers of {@code --classpath}), built for an instance of this node's own
 * configuration, and its code is hashed from the jar (or class directory) of its {@link NamedFlow}
 * class, so that a worker with another build of the flow is refused.
 */
final class CatalogFlows implements FlowResolver {

    private final FlowCatalog catalog;
    private final WeirConfig config;

    CatalogFlows(FlowCatalog catalog, WeirConfig config) {
        this.catalog = catalog;
        this.config = config;
    }

    @Override
    public Optional<String> codeHash(String flowName) {
        return catalog.named(flowName).map(flow -> CodeHash.of(flow.getClass()));
    }

    @Override
    public Optional<dev.weir.engine.stream.StreamGraph> streamGraph(String flowName, String graph) {
        return catalog.named(flowName).flatMap(flow -> flow.streamGraph(graph));
    }

    @Override
    public Flow flow(String flowName, InstanceConfig instance) {
        return catalog.require(flowName).create(config, instance);
    }
}
