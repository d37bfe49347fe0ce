package dev.weir.engine.stream;

import dev.weir.engine.data.ArrowTable;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.arrow.memory.BufferAllocator;

/**
 * Puts the inputs of multi-input tasks back together per batch id: a join's call for a batch is ready
 * once no lane upstream of any of its inputs still holds that batch. Owned by the {@link StreamRun}
 * actor; never touched from another thread.
 */
final class Joins {

    /**
     * A join done with {@code batchId}: {@code inputs} (owned by the receiver) to enqueue, or
     * {@code null} when an input skipped the batch or putting it together failed with {@code error};
     * {@code parts} pieces were held at the join and are now released.
     */
    record Joined(TaskLane lane, Map<String, ArrowTable> inputs, int parts, RuntimeException error) {
    }

    private final Map<String, TaskLane> lanes;
    private final List<TaskLane> joinLanes;
    private final BufferAllocator allocator;

    /** {@code lanes}: every task's lane, by task name (the tasks of a fused chain share one). */
    Joins(Map<String, TaskLane> lanes, List<TaskLane> distinct, BufferAllocator allocator) {
        this.lanes = lanes;
        this.joinLanes = distinct.stream().filter(TaskLane::isJoin).toList();
        this.allocator = allocator;
    }

    /** The joins whose inputs for {@code batchId} have all arrived, their pieces concatenated in order. */
    List<Joined> complete(long batchId) {
        List<Joined> done = List.of();
        for (TaskLane join : joinLanes) {
            Map<String, List<TaskLane.Piece>> arrived = join.joins.get(batchId);
            if (arrived == null || !join.inputs.stream().allMatch(input -> quiet(input, batchId))) {
                continue;
            }
            join.joins.remove(batchId);
            if (done.isEmpty()) {
                done = new ArrayList<>();
            }
            int parts = arrived.values().stream().mapToInt(List::size).sum();
            if (!arrived.keySet().containsAll(join.inputs)) {
                // An input skipped this batch: the join has nothing to join it with.
                closeAll(arrived);
                done.add(new Joined(join, null, parts, null));
                continue;
            }
            Map<String, ArrowTable> inputs = new LinkedHashMap<>();
            try {
                for (String input : join.inputs) {
                    List<ArrowTable> pieces = arrived.remove(input).stream()
                            .sorted(Comparator.comparing(TaskLane.Piece::order))
                            .map(TaskLane.Piece::table).toList();
                    inputs.put(input, Batches.concat(pieces, allocator));
                }
                done.add(new Joined(join, inputs, parts, null));
            } catch (RuntimeException e) {
                inputs.values().forEach(ArrowTable::close);
                closeAll(arrived);
                done.add(new Joined(join, null, parts, e));
            }
        }
        return done;
    }

    private boolean quiet(String input, long batchId) {
        if (StreamGraph.SOURCE.equals(input)) {
            return true;
        }
        TaskLane lane = lanes.get(input);
        return !lane.holds(batchId) && lane.ancestors.stream().noneMatch(a -> lanes.get(a).holds(batchId));
    }

    private static void closeAll(Map<String, List<TaskLane.Piece>> arrived) {
        arrived.values().forEach(list -> list.forEach(p -> p.table().close()));
    }
}
