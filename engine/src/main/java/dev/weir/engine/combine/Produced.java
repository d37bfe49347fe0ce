package dev.weir.engine.combine;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The first task's outputs inside a combined task, as a {@link Stitch} sees them: by output name or by
 * position. Tables come as their payload ({@link dev.weir.engine.data.ArrowTable},
 * {@link dev.weir.engine.data.Rows} or a streaming {@link org.apache.arrow.vector.ipc.ArrowReader}),
 * blobs as their value, plain values as they are. The combined task owns them until the second task
 * returns. Valid only during the stitch call.
 */
public final class Produced {

    private final String task;
    private final Map<String, Object> byName;

    Produced(String task, Map<String, Object> byName) {
        this.task = task;
        this.byName = new LinkedHashMap<>(byName);
    }

    /** The output named {@code output}. */
    public Object get(String output) {
        Object value = byName.get(output);
        if (value == null) {
            throw new IllegalArgumentException("inner task '" + task + "' has no output '" + output
                    + "'; its outputs are " + names());
        }
        return value;
    }

    /** The output at {@code index}, in declaration order. */
    public Object get(int index) {
        List<Object> values = new ArrayList<>(byName.values());
        if (index < 0 || index >= values.size()) {
            throw new IndexOutOfBoundsException("inner task '" + task + "' has " + values.size() + " outputs "
                    + names() + ", no output " + index);
        }
        return values.get(index);
    }

    /** The only output; fails when there are several. */
    public Object only() {
        if (byName.size() != 1) {
            throw new IllegalStateException("inner task '" + task + "' has " + byName.size() + " outputs " + names()
                    + "; pick them with get(name)");
        }
        return byName.values().iterator().next();
    }

    /** The output names, in declaration order. */
    public List<String> names() {
        return List.copyOf(byName.keySet());
    }

    Map<String, Object> values() {
        return byName;
    }
}
