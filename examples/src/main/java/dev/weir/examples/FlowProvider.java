package dev.weir.examples;

import java.util.List;

/**
 * Lists the flows of a jar for {@code weir}, registered for {@link java.util.ServiceLoader} in
 * {@code META-INF/services/dev.weir.examples.FlowProvider}; {@code weir} loads the providers of this name
 * after those of {@link dev.weir.engine.FlowProvider}, with the same rules (a flow's name is unique among
 * all of them).
 *
 * @deprecated implement {@link dev.weir.engine.FlowProvider} (in weir-engine), registered in
 *     {@code META-INF/services/dev.weir.engine.FlowProvider}, so that a jar of flows needs no
 *     weir-examples.
 */
@Deprecated
public interface FlowProvider {

    /** This provider's flows, each a fresh instance. */
    List<ExampleFlow> flows();
}
