package dev.weir.examples;

import dev.weir.engine.NamedFlow;

/**
 * A flow {@code weir} runs by name, as jars of flows written before {@link NamedFlow} implement it.
 *
 * @deprecated implement {@link NamedFlow} (in weir-engine), listed by a {@link dev.weir.engine.FlowProvider};
 *     {@code weir} still runs the flows of this interface.
 */
@Deprecated
public interface ExampleFlow extends NamedFlow {
}
