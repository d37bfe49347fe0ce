package dev.weir.engine.stream;

import dev.weir.engine.data.ArrowTable;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.Set;
import java.util.TreeSet;

/**
 * The scheduler's view of one task in one run: its ready calls (oldest batch first), how many run, how
 * much of each batch is still at the task, the parts waiting to be joined, and its counters. Owned by
 * the {@link StreamRun} actor; never touched from another thread.
 */
final class TaskLane {

    /**
     * Where a piece of a batch sits within it: the part numbers given by each split on its way from the
     * source. A join puts the pieces of one input back together in this order, whatever order they
     * completed in.
     */
    record Order(List<Integer> path) implements Comparable<Order> {
        static final Order WHOLE = new Order(List.of());

        Order part(int index) {
            List<Integer> longer = new ArrayList<>(path);
            longer.add(index);
            return new Order(List.copyOf(longer));
        }

        @Override
        public int compareTo(Order other) {
            for (int i = 0; i < Math.min(path.size(), other.path.size()); i++) {
                int c = Integer.compare(path.get(i), other.path.get(i));
                if (c != 0) {
                    return c;
                }
            }
            return Integer.compare(path.size(), other.path.size());
        }
    }

    /** A piece of a batch waiting at a join. */
    record Piece(Order order, ArrowTable table) {
    }

    /** A call waiting for a slot; owns its inputs until it is started or closed. */
    record Ready(long batchId, long seq, Order order, Map<String, ArrowTable> inputs) {

        long rows() {
            return inputs.values().stream().mapToLong(ArrowTable::rowCount).sum();
        }

        void close() {
            inputs.values().forEach(ArrowTable::close);
        }
    }

    final String name;
    final TaskSettings settings;
    final int rank;
    final List<String> inputs;
    final List<String> downstream;
    final Set<String> ancestors;
    final BatchFunction function;

    final PriorityQueue<Ready> ready = new PriorityQueue<>((a, b) -> a.batchId() != b.batchId()
            ? Long.compare(a.batchId(), b.batchId()) : Long.compare(a.seq(), b.seq()));
    int running;
    /** Per batch id: calls queued, running or being split at this task. */
    private final Map<Long, Integer> pending = new HashMap<>();
    /** Multi-input tasks: per batch id, per input, the parts that have arrived. */
    final Map<Long, Map<String, List<Piece>>> joins = new HashMap<>();
    /** Terminal tasks: per batch id, the next part number. */
    final Map<Long, Integer> parts = new HashMap<>();

    long batches;
    long rowsIn;
    long rowsOut;
    final TreeSet<Long> skipped = new TreeSet<>();

    TaskLane(String name, StreamGraph graph) {
        this.name = name;
        this.settings = graph.settings(name);
        this.rank = graph.rank(name);
        this.inputs = graph.inputs(name);
        this.downstream = graph.downstream(name);
        this.ancestors = graph.ancestors(name);
        this.function = graph.function(name);
    }

    boolean isTerminal() {
        return downstream.isEmpty();
    }

    boolean isJoin() {
        return inputs.size() > 1;
    }

    void hold(long batchId) {
        pending.merge(batchId, 1, Integer::sum);
    }

    void release(long batchId) {
        pending.computeIfPresent(batchId, (k, n) -> n == 1 ? null : n - 1);
    }

    boolean holds(long batchId) {
        return pending.containsKey(batchId);
    }

    /** Adds an arrived part for a join; returns nothing, the run checks readiness. */
    void arrive(long batchId, String from, Order order, ArrowTable table) {
        joins.computeIfAbsent(batchId, b -> new LinkedHashMap<>()).computeIfAbsent(from, f -> new ArrayList<>())
                .add(new Piece(order, table));
    }

    int nextPart(long batchId) {
        return parts.merge(batchId, 1, Integer::sum) - 1;
    }

    /** Closes everything the lane holds: ready calls and join pieces. */
    void closeAll() {
        ready.forEach(Ready::close);
        ready.clear();
        joins.values().forEach(byInput -> byInput.values().forEach(list -> list.forEach(p -> p.table().close())));
        joins.clear();
    }

    TaskStats stats() {
        return new TaskStats(name, isTerminal(), batches, rowsIn, rowsOut, List.copyOf(skipped), running, ready.size());
    }
}
