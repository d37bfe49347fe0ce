package dev.weir.testkit;

import com.typesafe.config.ConfigValueFactory;
import dev.weir.engine.config.InstanceConfig;
import dev.weir.engine.store.StoreSettings;
import dev.weir.engine.store.TableStore;
import dev.weir.engine.store.TableStoreFactory;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.util.Map;
import java.util.ServiceLoader;

/**
 * Test stores that wrap a real one and intercept some of its calls. A wrapping store's settings carry
 * the real store's kind under {@code PREFIX.delegate} and the wrapper's own keys under {@code PREFIX};
 * its factory, found by {@link ServiceLoader} like any store's, opens the real store without them and
 * returns a proxy that passes every call it does not intercept straight on.
 */
final class WrappedStore {

    /** What to do with one call of the real store; {@code proceed} makes it. */
    interface Interceptor {
        Object call(Method method, Object[] args, Proceed proceed) throws Throwable;
    }

    /** The real store's call. */
    interface Proceed {
        Object call() throws Throwable;
    }

    private WrappedStore() {
    }

    /** {@code instance} with its table store wrapped by the store of kind {@code kind}, with {@code keys}. */
    static InstanceConfig around(InstanceConfig instance, String kind, Map<String, Object> keys, String why) {
        StoreSettings real = instance.tableStore();
        com.typesafe.config.Config args = real.args()
                .withValue(kind + ".delegate", ConfigValueFactory.fromAnyRef(real.kind()));
        for (Map.Entry<String, Object> key : keys.entrySet()) {
            args = args.withValue(kind + "." + key.getKey(), ConfigValueFactory.fromAnyRef(key.getValue()));
        }
        return instance.withTableStoreSettings(new StoreSettings(real.instanceName(), real.instanceId(),
                real.connectionName(), kind, args, real.workDir(), real.origin() + ", " + why));
    }

    /** Opens the real store under {@code settings} of kind {@code kind} and wraps it in {@code interceptor}. */
    static TableStore open(StoreSettings settings, String kind, Interceptor interceptor) {
        String realKind = settings.args().getString(kind + ".delegate");
        TableStoreFactory factory = ServiceLoader.load(TableStoreFactory.class, WrappedStore.class.getClassLoader())
                .stream().map(ServiceLoader.Provider::get).filter(f -> f.kind().equals(realKind)).findFirst()
                .orElseThrow(() -> new IllegalStateException("no table store of kind '" + realKind + "' to wrap"));
        TableStore real = factory.open(new StoreSettings(settings.instanceName(), settings.instanceId(),
                settings.connectionName(), realKind, settings.args().withoutPath(kind), settings.workDir(),
                settings.origin()));
        return (TableStore) Proxy.newProxyInstance(WrappedStore.class.getClassLoader(),
                new Class<?>[] {TableStore.class},
                (proxy, method, args) -> interceptor.call(method, args, () -> call(real, method, args)));
    }

    private static Object call(TableStore real, Method method, Object[] args) throws Throwable {
        try {
            return method.invoke(real, args);
        } catch (InvocationTargetException e) {
            throw e.getCause();
        }
    }
}
