package dev.weir.engine.combine;

import dev.weir.engine.Outputs;
import dev.weir.engine.Table;
import dev.weir.engine.data.ArrowTable;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.ipc.ArrowReader;

/** Who frees the Arrow data handed from the first inner task to the second. */
final class Ownership {

    private Ownership() {
    }

    /** True for the values whose memory someone must free: Arrow tables, batches and streams. */
    static boolean isArrow(Object value) {
        return value instanceof ArrowTable || value instanceof VectorSchemaRoot || value instanceof ArrowReader;
    }

    /**
     * The payloads the second task returned, by identity: a table the first produced and the second
     * passes through unchanged now belongs to the engine, which frees it once materialized.
     */
    static Set<Object> returnedPayloads(Object returned) {
        Set<Object> payloads = Collections.newSetFromMap(new IdentityHashMap<>());
        List<Object> items = returned instanceof Outputs outs ? outs.values() : java.util.Arrays.asList(returned);
        for (Object item : items) {
            payloads.add(item instanceof Table t ? t.payload() : item);
        }
        return payloads;
    }

    static void close(Object value, List<Exception> failures) {
        if (value instanceof AutoCloseable c) {
            try {
                c.close();
            } catch (Exception e) {
                failures.add(e);
            }
        }
    }
}
