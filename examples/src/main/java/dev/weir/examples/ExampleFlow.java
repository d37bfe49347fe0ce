package dev.weir.examples;

import dev.weir.engine.Flow;
import dev.weir.engine.Result;
import dev.weir.engine.config.InstanceConfig;
import dev.weir.engine.config.WeirConfig;
import java.io.PrintStream;

/** A runnable example: builds its flow for an instance and shows what it produced. */
public interface ExampleFlow {

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
