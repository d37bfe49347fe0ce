package dev.weir.examples.cli;

import dev.weir.engine.FlowProvider;
import dev.weir.engine.NamedFlow;
import dev.weir.examples.Examples;
import dev.weir.examples.cli.WeirCommand.UsageError;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;

/**
 * The flows {@code weir} can run: those of every {@link FlowProvider} found by {@link ServiceLoader} in a
 * class loader (the built-in examples, then the providers of {@code --classpath}), then those of every
 * (deprecated) {@link dev.weir.examples.FlowProvider}, by name. {@link #named} also finds a
 * {@link NamedFlow} registered on its own (as the command line's tests do), which {@link #listed} leaves out.
 */
final class FlowCatalog {

    private final ClassLoader loader;
    private final Map<String, NamedFlow> listed;

    private FlowCatalog(ClassLoader loader, Map<String, NamedFlow> listed) {
        this.loader = loader;
        this.listed = listed;
    }

    /**
     * The providers' flows in {@code loader}.
     *
     * @throws UsageError when a provider cannot be loaded, or two flows share a name
     */
    @SuppressWarnings("deprecation")
    static FlowCatalog load(ClassLoader loader) {
        Map<String, NamedFlow> byName = new LinkedHashMap<>();
        Map<String, String> providerOf = new LinkedHashMap<>();
        try {
            for (FlowProvider provider : ServiceLoader.load(FlowProvider.class, loader)) {
                add(provider.getClass().getName(), provider.flows(), byName, providerOf);
            }
            for (dev.weir.examples.FlowProvider provider
                    : ServiceLoader.load(dev.weir.examples.FlowProvider.class, loader)) {
                add(provider.getClass().getName(), provider.flows(), byName, providerOf);
            }
        } catch (ServiceConfigurationError e) {
            throw new UsageError("cannot load a flow provider: " + e.getMessage()
                    + (e.getCause() == null ? "" : " (" + e.getCause() + ")"), e);
        }
        return new FlowCatalog(loader, byName);
    }

    /** Adds a provider's flows to those of the providers before it, whose names they must not take. */
    private static void add(String providerName, List<? extends NamedFlow> flows, Map<String, NamedFlow> byName,
            Map<String, String> providerOf) {
        for (NamedFlow flow : flows) {
            String name = flow.name();
            if (name == null || name.isBlank() || !name.equals(name.strip()) || name.contains("/")) {
                throw new UsageError("flow provider " + providerName + ": the flow " + flow.getClass().getName()
                        + " has the name '" + name + "'; a flow's name is not blank and has no spaces"
                        + " around it and no '/'");
            }
            String before = providerOf.putIfAbsent(name, providerName);
            if (before != null) {
                throw new UsageError("two flows are named '" + name + "': one of " + before + " and one of "
                        + providerName + "; a flow's name must be unique on the class path");
            }
            byName.put(name, flow);
        }
    }

    /** The providers' flows by name, in the order of the class path. */
    Map<String, NamedFlow> listed() {
        return listed;
    }

    /** The flow of that name, or a usage error listing the flows there are. */
    NamedFlow require(String name) {
        return named(name).orElseThrow(() -> new WeirCommand.UsageError("unknown flow '" + name
                + "'; the flows are " + listed().keySet()));
    }

    /** The flow of this name: a provider's, else a {@link NamedFlow} registered for {@link ServiceLoader}. */
    Optional<NamedFlow> named(String name) {
        NamedFlow flow = listed.get(name);
        if (flow != null) {
            return Optional.of(flow);
        }
        try {
            return Examples.registered(name, loader);
        } catch (ServiceConfigurationError e) {
            throw new UsageError("cannot load a flow: " + e.getMessage(), e);
        }
    }
}
