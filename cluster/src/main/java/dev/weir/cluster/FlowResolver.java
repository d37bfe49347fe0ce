package dev.weir.cluster;

import dev.weir.engine.Flow;
import dev.weir.engine.config.InstanceConfig;
import dev.weir.engine.stream.StreamGraph;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * How a node finds a flow's code by the flow's name: from its own class path, never over the wire
 * (lambdas cannot travel). The coordinator and every worker resolve a flow the same way, and the
 * {@link #codeHash hash} of the code that defines it must agree, or the worker is refused. The command
 * line supplies one backed by its flow providers; a service embedding a worker supplies its own.
 */
public interface FlowResolver {

    /**
     * The hash of the code that defines the flow of this name (e.g. {@link CodeHash#of(Class)} of its
     * provider), or empty when this node has no such flow. Called once per flow and node; may read files.
     */
    Optional<String> codeHash(String flowName);

    /**
     * The flow of this name as it runs on {@code instance} (a flow may depend on the instance's
     * attributes); called on a blocking thread, since building a flow runs user code.
     */
    Flow flow(String flowName, InstanceConfig instance);

    /**
     * The streaming graph named {@code graph} that code of the flow {@code flowName} runs, built from this
     * node's code, so that a worker can run that graph's calls by task name ({@link ClusterBatchPlacement}):
     * functions never travel. Empty when this node has no such graph (the default). Called on a blocking
     * thread, once per graph and node.
     */
    default Optional<StreamGraph> streamGraph(String flowName, String graph) {
        return Optional.empty();
    }

    /** These flows, the same on every instance, each with the hash of the code of {@code definedBy}. */
    static FlowResolver of(Class<?> definedBy, List<Flow> flows) {
        return of(definedBy, flows, Map.of());
    }

    /**
     * These flows and streaming graphs (by flow name, then graph name; a flow named only here has graphs
     * and no tasks), all with the hash of the code of {@code definedBy}.
     */
    static FlowResolver of(Class<?> definedBy, List<Flow> flows, Map<String, Map<String, StreamGraph>> graphs) {
        Map<String, Map<String, StreamGraph>> graphsByFlow = Map.copyOf(graphs);
        Map<String, Flow> byName = new LinkedHashMap<>();
        for (Flow flow : flows) {
            if (byName.putIfAbsent(flow.name(), flow) != null) {
                throw new IllegalArgumentException("two flows are named '" + flow.name() + "'");
            }
        }
        String hash = CodeHash.of(definedBy);
        return new FlowResolver() {
            @Override
            public Optional<String> codeHash(String flowName) {
                return byName.containsKey(flowName) || graphsByFlow.containsKey(flowName) ? Optional.of(hash)
                        : Optional.empty();
            }

            @Override
            public Optional<StreamGraph> streamGraph(String flowName, String graph) {
                return Optional.ofNullable(graphsByFlow.getOrDefault(flowName, Map.of()).get(graph));
            }

            @Override
            public Flow flow(String flowName, InstanceConfig instance) {
                Flow flow = byName.get(flowName);
                if (flow == null) {
                    throw new IllegalArgumentException("no flow named '" + flowName + "'; the flows are "
                            + byName.keySet());
                }
                return flow;
            }
        };
    }
}
