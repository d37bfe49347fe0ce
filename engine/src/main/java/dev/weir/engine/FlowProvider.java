package dev.weir.engine;

import java.util.List;

/**
 * Lists the flows of a jar for {@code weir}. Registered for {@link java.util.ServiceLoader}: a jar or
 * directory on {@code --classpath} (or {@code WEIR_CLASSPATH}) names its providers, one class a line, in
 * {@code META-INF/services/dev.weir.engine.FlowProvider}; each needs a public no-argument constructor.
 * The built-in examples are one more provider.
 *
 * <p>A flow's {@link NamedFlow#name() name} identifies it to {@code weir run NAME}: it must be unique
 * among the providers on the class path, and stay the same from run to run. A flow's parameters
 * ({@code weir run NAME --param key=value}) arrive in the instance's {@code attrs}, which a task reads
 * with {@code ctx.attrs()} and which are part of a Java task's cache key.
 */
public interface FlowProvider {

    /** This provider's flows, each a fresh instance. */
    List<NamedFlow> flows();
}
