package dev.weir.testkit;

import com.typesafe.config.ConfigValueFactory;
import dev.weir.engine.config.InstanceConfig;
import dev.weir.engine.store.StoreException;
import dev.weir.engine.store.StoreSettings;
import dev.weir.engine.store.TableSlice;
import dev.weir.engine.store.TableStore;
import dev.weir.engine.store.TableStoreFactory;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.util.ServiceLoader;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A table store of kind {@code faulty}, for tests: the store of kind {@code faulty.delegate} with the
 * appends of one slice (a batched task's chunk, {@code faulty.slice}) broken as {@code faulty.fault}
 * says:
 * <ul>
 *   <li>{@link Fault#LOST_ACKNOWLEDGEMENT}: the slice's first append commits, then fails transiently,
 *       as when a connection drops before the commit's acknowledgement arrives;
 *   <li>{@link Fault#REFUSED}: every append of the slice fails for good, writing nothing.
 * </ul>
 * Everything else goes to the real store. Found by {@link ServiceLoader} from this module's test
 * resources; {@link #around} makes an instance use it.
 */
public final class FaultyStoreFactory implements TableStoreFactory {

    static final String KIND = "faulty";

    /** How the appends of the slice break. */
    enum Fault { LOST_ACKNOWLEDGEMENT, REFUSED }

    /** {@code instance} with its table store wrapped: the appends of {@code slice} break as {@code fault} says. */
    static InstanceConfig around(InstanceConfig instance, int slice, Fault fault) {
        StoreSettings real = instance.tableStore();
        StoreSettings faulty = new StoreSettings(real.instanceName(), real.instanceId(), real.connectionName(), KIND,
                real.args().withValue("faulty.delegate", ConfigValueFactory.fromAnyRef(real.kind()))
                        .withValue("faulty.slice", ConfigValueFactory.fromAnyRef(slice))
                        .withValue("faulty.fault", ConfigValueFactory.fromAnyRef(fault.name())),
                real.workDir(), real.origin() + ", appends of slice " + slice + " " + fault);
        return instance.withTableStoreSettings(faulty);
    }

    @Override
    public String kind() {
        return KIND;
    }

    @Override
    public TableStore open(StoreSettings settings) {
        String delegateKind = settings.args().getString("faulty.delegate");
        int slice = settings.args().getInt("faulty.slice");
        Fault fault = Fault.valueOf(settings.args().getString("faulty.fault"));
        TableStoreFactory delegate = ServiceLoader.load(TableStoreFactory.class, getClass().getClassLoader()).stream()
                .map(ServiceLoader.Provider::get).filter(f -> f.kind().equals(delegateKind)).findFirst()
                .orElseThrow(() -> new IllegalStateException("no table store of kind " + delegateKind));
        TableStore real = delegate.open(new StoreSettings(settings.instanceName(), settings.instanceId(),
                settings.connectionName(), delegateKind, settings.args().withoutPath("faulty"), settings.workDir(),
                settings.origin()));
        AtomicBoolean lost = new AtomicBoolean();
        return (TableStore) Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[] {TableStore.class},
                (proxy, method, args) -> {
                    if (!method.getName().equals("appendArrow") || ((TableSlice) args[2]).index() != slice) {
                        return call(real, method, args);
                    }
                    if (fault == Fault.REFUSED) {
                        throw StoreException.of(real + ": the store refuses slice " + slice + " of " + args[0]);
                    }
                    Object result = call(real, method, args);
                    if (lost.compareAndSet(false, true)) {
                        throw new StoreException(real + ": connection lost after the append of slice " + slice
                                + " to " + args[0] + " committed", null, true, null);
                    }
                    return result;
                });
    }

    private static Object call(TableStore real, Method method, Object[] args) throws Throwable {
        try {
            return method.invoke(real, args);
        } catch (InvocationTargetException e) {
            throw e.getCause();
        }
    }
}
