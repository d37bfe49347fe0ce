package dev.weir.engine.runtime;

import dev.weir.engine.Blob;
import dev.weir.engine.Outputs;
import dev.weir.engine.Table;
import dev.weir.engine.TaskDef;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Matches what a task function returned to the task's declared outputs: by position, or by the
 * names of returned {@link Table}s and {@link Blob}s.
 */
final class ReturnedOutputs {

    private ReturnedOutputs() {
    }

    /**
     * The returned items by declared output name, in declaration order.
     *
     * @throws IllegalArgumentException naming what was returned and what was declared
     */
    static Map<String, Object> match(TaskDef task, Object returned) {
        List<String> declared = task.outputs();
        // a null is a value like any other (JSON null), for a single output or inside Outputs
        List<Object> items = returned instanceof Outputs outs ? outs.values() : java.util.Collections.singletonList(returned);
        if (items.size() != declared.size()) {
            throw new IllegalArgumentException("the task returned " + items.size() + " outputs but declares "
                    + declared.size() + " " + declared + "; declare them with outputs(...) or return Outputs.of(...)"
                    + " with one item per output");
        }
        Map<String, Object> byName = new LinkedHashMap<>();
        List<Object> unnamed = new ArrayList<>();
        for (Object item : items) {
            String name = nameOf(item);
            if (name != null && declared.contains(name) && !byName.containsKey(name)) {
                byName.put(name, item);
            } else {
                unnamed.add(item);
            }
        }
        Map<String, Object> ordered = new LinkedHashMap<>();
        int next = 0;
        for (String out : declared) {
            Object item = byName.get(out);
            ordered.put(out, item != null ? item : unnamed.get(next++));
        }
        return ordered;
    }

    private static String nameOf(Object item) {
        if (item instanceof Table t) {
            return t.name();
        }
        if (item instanceof Blob b) {
            return b.name();
        }
        return null;
    }
}
