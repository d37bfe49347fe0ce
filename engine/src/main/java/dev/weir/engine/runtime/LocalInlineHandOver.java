package dev.weir.engine.runtime;

import dev.weir.engine.Ref;
import dev.weir.engine.TaskId;
import dev.weir.engine.data.ArrowTable;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import org.apache.arrow.memory.BufferAllocator;

/**
 * Inlined tables handed over in this JVM: the producer's data stays where it is and every consumer
 * attempt gets a view sharing its buffers (Arrow reference counts, no copy), so a retried attempt can
 * read again. The producer's copy is freed when the last consumer has settled. Not thread-safe: used
 * by the run's supervisor actor only.
 */
final class LocalInlineHandOver implements InlineHandOver {

    private final BufferAllocator allocator;
    private final boolean keepForResult;
    private final Map<Ref, ArrowTable> data = new HashMap<>();
    private final Map<Ref, Set<TaskId>> pending = new HashMap<>();
    private final Map<Ref, ArrowTable> retained = new LinkedHashMap<>();

    /**
     * @param allocator     where views are allocated (the run's allocator)
     * @param keepForResult whether the result keeps a view of every inlined output for {@code Result.get}
     */
    LocalInlineHandOver(BufferAllocator allocator, boolean keepForResult) {
        this.allocator = allocator;
        this.keepForResult = keepForResult;
    }

    static Ref key(TaskId task, String output) {
        return new Ref(task.stage(), task.name(), output);
    }

    @Override
    public void offer(TaskId producer, Map<String, ArrowTable> outputs, Map<String, Set<TaskId>> consumers) {
        outputs.forEach((output, table) -> {
            Ref key = key(producer, output);
            if (keepForResult) {
                retained.put(key, table.view(allocator));
            }
            Set<TaskId> readers = new HashSet<>(consumers.getOrDefault(output, Set.of()));
            if (readers.isEmpty()) {
                table.close();
            } else {
                data.put(key, table);
                pending.put(key, readers);
            }
        });
    }

    @Override
    public ArrowTable viewFor(TaskId producer, String output) {
        ArrowTable table = data.get(key(producer, output));
        if (table == null) {
            throw new IllegalStateException("no inlined data of " + key(producer, output) + " is held for its"
                    + " consumers");
        }
        return table.view(allocator);
    }

    @Override
    public void settled(TaskId consumer) {
        for (var it = pending.entrySet().iterator(); it.hasNext(); ) {
            Map.Entry<Ref, Set<TaskId>> e = it.next();
            if (e.getValue().remove(consumer) && e.getValue().isEmpty()) {
                data.remove(e.getKey()).close();
                it.remove();
            }
        }
    }

    @Override
    public Map<Ref, ArrowTable> forResult() {
        Map<Ref, ArrowTable> views = new LinkedHashMap<>(retained);
        retained.clear();
        return views;
    }

    @Override
    public void close() {
        data.values().forEach(ArrowTable::close);
        data.clear();
        pending.clear();
        retained.values().forEach(ArrowTable::close);
        retained.clear();
    }
}
