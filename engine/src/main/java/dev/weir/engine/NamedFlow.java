package dev.weir.engine;

import dev.weir.engine.config.InstanceConfig;
import dev.weir.engine.config.WeirConfig;
import java.io.PrintStream;

/**
 * A flow that {@code weir} runs by name: builds its flow for an instance and shows what it produced. A jar
 * of flows lists them with a {@link FlowProvider}.
 */
public interface NamedFlow {

    /** The name {@code weir run NAME} knows it by. */
    String name();

    /** One line for {@code weir flows}. */
    String description();

    /** The flow for {@code instance}; {@code config} gives access to the other instances. */
    Flow create(WeirConfig config, InstanceConfig instance);

    /**
     * Reads the run's outputs back, checks them, and prints a short view of them.
     *
     * @throws IllegalStateException when an output is not what the flow should have produced
     */
    default void show(Result result, InstanceConfig instance, PrintStream out) {
    }

    /**
     * The streaming graph named {@code graph} that this flow's tasks run (see
     * {@link TaskContext#streamPlacement}), so that a cluster's worker node can run its calls from its own
     * copy of this code; empty when there is none (the default).
     */
    default java.util.Optional<dev.weir.engine.stream.StreamGraph> streamGraph(String graph) {
        return java.util.Optional.empty();
    }
}
