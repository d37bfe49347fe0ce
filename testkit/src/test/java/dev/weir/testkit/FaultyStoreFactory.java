package dev.weir.testkit;

import dev.weir.engine.config.InstanceConfig;
import dev.weir.engine.store.StoreException;
import dev.weir.engine.store.StoreSettings;
import dev.weir.engine.store.TableSlice;
import dev.weir.engine.store.TableStore;
import dev.weir.engine.store.TableStoreFactory;
import java.util.Map;
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
 * Everything else goes to the real store ({@link WrappedStore}). Found by {@code ServiceLoader} from this module's test
 * resources; {@link #around} makes an instance use it.
 */
public final class FaultyStoreFactory implements TableStoreFactory {

    static final String KIND = "faulty";

    /** How the appends of the slice break. */
    enum Fault { LOST_ACKNOWLEDGEMENT, REFUSED }

    /** {@code instance} with its table store wrapped: the appends of {@code slice} break as {@code fault} says. */
    static InstanceConfig around(InstanceConfig instance, int slice, Fault fault) {
        return WrappedStore.around(instance, KIND, Map.of("slice", slice, "fault", fault.name()),
                "appends of slice " + slice + " " + fault);
    }

    @Override
    public String kind() {
        return KIND;
    }

    @Override
    public TableStore open(StoreSettings settings) {
        int slice = settings.args().getInt(KIND + ".slice");
        Fault fault = Fault.valueOf(settings.args().getString(KIND + ".fault"));
        AtomicBoolean lost = new AtomicBoolean();
        return WrappedStore.open(settings, KIND, (method, args, proceed) -> {
            if (!method.getName().equals("appendArrow") || ((TableSlice) args[2]).index() != slice) {
                return proceed.call();
            }
            String store = settings.instanceName() + "'s store";
            if (fault == Fault.REFUSED) {
                throw StoreException.of(store + ": the store refuses slice " + slice + " of " + args[0]);
            }
            Object result = proceed.call();
            if (lost.compareAndSet(false, true)) {
                throw new StoreException(store + ": connection lost after the append of slice " + slice
                        + " to " + args[0] + " committed", null, true, null);
            }
            return result;
        });
    }
}
