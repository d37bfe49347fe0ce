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
}
