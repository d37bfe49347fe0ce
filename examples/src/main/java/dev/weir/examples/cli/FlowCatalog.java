package dev.weir.examples.cli;

import dev.weir.examples.ExampleFlow;
import dev.weir.examples.FlowProvider;
import dev.weir.examples.cli.WeirCommand.UsageError;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;

/**
 * The flows {@code weir} can run: those of every {@link FlowProvider} found by {@link ServiceLoader} in a
 * class loader (the built-in examples, then the providers of {@code --classpath}), by name. {@link #named}
 * also finds an {@link ExampleFlow} registered on its own (as the command line's tests do), which
 * {@link #listed} leaves out.
 */
final class FlowCatalog {

    private final ClassLoader loader;
    private final Map<String, ExampleFlow> listed;

    private FlowCatalog(ClassLoader loader, Map<String, ExampleFlow> listed) {
        this.loader = loader;
        this.listed = listed;
    }

    /**
     * The providers' flows in {@code loader}.
     *
     * @throws UsageError when a provider cannot be loaded, or two flows share a name
     */
    static FlowCatalog load(ClassLoader loader) {
        Map<String, ExampleFlow> byName = new LinkedHashMap<>();
        Map<String, String> providerOf = new LinkedHashMap<>();
        try {
            for (FlowProvider provider : ServiceLoader.load(FlowProvider.class, loader)) {
                String providerName = provider.getClass().getName();
                for (ExampleFlow flow : provider.flows()) {
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
        } catch (ServiceConfigurationError e) {
            throw new UsageError("cannot load a flow provider: " + e.getMessage()
                    + (e.getCause() == null ? "" : " (" + e.getCause() + ")"), e);
        }
        return new FlowCatalog(loader, byName);
    }

    /** The providers' flows by name, in the order of the class path. */
    Map<String, ExampleFlow> listed() {
        return listed;
    }

    /** The flow of that name, or a usage error listing the flows there are. */
    ExampleFlow require(String name) {
        return named(name).orElseThrow(() -> new WeirCommand.UsageError("unknown flow '" + name
                + "'; the flows are " + listed().keySet()));
    }

    /** The flow of this name: a provider's, else an {@link ExampleFlow} registered for {@link ServiceLoader}. */
    Optional<ExampleFlow> named(String name) {
        ExampleFlow flow = listed.get(name);
        if (flow != null) {
            return Optional.of(flow);
        }
        try {
            for (ExampleFlow registered : ServiceLoader.load(ExampleFlow.class, loader)) {
                if (registered.name().equals(name)) {
                    return Optional.of(registered);
                }
            }
        } catch (ServiceConfigurationError e) {
            throw new UsageError("cannot load a flow: " + e.getMessage(), e);
        }
        return Optional.empty();
    }
}
