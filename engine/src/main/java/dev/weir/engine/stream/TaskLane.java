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
import java.util.stream.Stream;

/**
 * The scheduler's view of one task — or of a chain of tasks fused into one call — in one run: its ready
 * calls (oldest batch first), how many run, how much of each batch is still at it, the parts waiting
 * to be joined, and each task's counters. Its mutable state is owned by the {@link StreamRun} actor and
 * never touched from another thread; its final fields describe the lane and are read by the
 * {@link Relay} on dispatcher threads, and its {@link #credits} are the slots it lends them.
 *
 * <p><b>Fusion.</b> A task is fused after its input when it is that input's only consumer, has no
 * other input, splits nothing ({@code max-rows} 0) and has the same parallelism and resources, and
 * when that parallelism is at least the run's: a chain then runs as many batches at once as its tasks
 * could, one after another on one thread instead of a trip to the dispatcher per task. Tasks limited
 * below the run's parallelism stay apart, so that they still run side by side on different batches.
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

    /** The first task of the lane. */
    final String name;
    /** The lane's tasks, the first one first; one unless fused. */
    final List<String> tasks;
    /** The first task's settings; a fused chain shares its parallelism and resources. */
    final TaskSettings settings;
    /** The last task's rank: a call brings its batch that close to a terminal. */
    final int rank;
    final List<String> inputs;
    /** The last task's consumers. */
    final List<String> downstream;
    /** The last task's ancestors, which include the rest of the chain. */
    final Set<String> ancestors;
    final BatchFunction function;
    final List<BatchCall.Step> then;
    /**
     * The task that the lane's outputs go on to, whole and alone, when that task has no other input and
     * splits nothing; {@code null} otherwise. A trip of this lane can then go on there by itself.
     */
    final String relayTo;
    /** No task of the lane or upstream of it splits batches: each batch reaches the lane in one piece. */
    final boolean whole;
    /** Slots of this lane lent to trips ending upstream of it. */
    final Credits credits = new Credits();
    private final OnError[] onError;

    final PriorityQueue<Ready> ready = new PriorityQueue<>((a, b) -> a.batchId() != b.batchId()
            ? Long.compare(a.batchId(), b.batchId()) : Long.compare(a.seq(), b.seq()));
    /** Trips running, and slots lent to upstream trips that the run has not heard were taken or taken back. */
    int running;
    /** Of {@code running}: slots lent. */
    int lent;
    /** Per batch id: calls queued, running or being split at this lane. */
    private final Map<Long, Integer> pending = new HashMap<>();
    /** Multi-input tasks: per batch id, per input, the parts that have arrived. */
    final Map<Long, Map<String, List<Piece>>> joins = new HashMap<>();
    /** Terminal tasks: per batch id, the next part number. */
    final Map<Long, Integer> parts = new HashMap<>();

    /** Per task of the lane: calls finished, rows read and returned, batches skipped. */
    private final long[] batches;
    private final long[] rowsIn;
    private final long[] rowsOut;
    private final List<TreeSet<Long>> skipped = new ArrayList<>();

    private TaskLane(List<String> tasks, StreamGraph graph) {
        this.tasks = List.copyOf(tasks);
        this.name = tasks.get(0);
        String last = tasks.get(tasks.size() - 1);
        this.settings = graph.settings(name);
        this.rank = graph.rank(last);
        this.inputs = graph.inputs(name);
        this.downstream = graph.downstream(last);
        this.ancestors = graph.ancestors(last);
        this.function = graph.function(name);
        this.then = tasks.stream().skip(1).map(t -> new BatchCall.Step(t, graph.function(t))).toList();
        this.relayTo = onlyConsumer(graph, last);
        this.whole = Stream.concat(tasks.stream(), graph.ancestors(last).stream())
                .allMatch(t -> graph.settings(t).maxRows() == 0);
        this.onError = tasks.stream().map(t -> graph.settings(t).onError()).toArray(OnError[]::new);
        this.batches = new long[tasks.size()];
        this.rowsIn = new long[tasks.size()];
        this.rowsOut = new long[tasks.size()];
        tasks.forEach(t -> skipped.add(new TreeSet<>()));
    }

    /** The graph's tasks as lanes, in definition order of their first task, with linear chains fused. */
    static List<TaskLane> plan(StreamGraph graph) {
        List<TaskLane> lanes = new ArrayList<>();
        for (String task : graph.tasks()) {
            List<String> inputs = graph.inputs(task);
            if (inputs.size() == 1 && fusible(graph, inputs.get(0), task)) {
                continue;
            }
            List<String> chain = new ArrayList<>(List.of(task));
            for (List<String> next = graph.downstream(task);
                 next.size() == 1 && fusible(graph, chain.get(chain.size() - 1), next.get(0));
                 next = graph.downstream(next.get(0))) {
                chain.add(next.get(0));
            }
            lanes.add(new TaskLane(chain, graph));
        }
        return lanes;
    }

    /** Whether {@code task} runs in the same call as {@code upstream}, right after it. */
    private static boolean fusible(StreamGraph graph, String upstream, String task) {
        if (StreamGraph.SOURCE.equals(upstream) || graph.downstream(upstream).size() != 1
                || graph.inputs(task).size() != 1) {
            return false;
        }
        TaskSettings up = graph.settings(upstream);
        TaskSettings own = graph.settings(task);
        return own.maxRows() == 0 && own.parallelism() == up.parallelism()
                && own.parallelism() >= graph.runSettings().parallelism() && own.resources().equals(up.resources());
    }

    /**
     * The task that takes every output of {@code from} (a task or the source) whole: its only consumer,
     * with no other input and no {@code max-rows}; {@code null} when there is none.
     */
    static String onlyConsumer(StreamGraph graph, String from) {
        List<String> next = graph.downstream(from);
        if (next.size() != 1) {
            return null;
        }
        String task = next.get(0);
        return graph.inputs(task).size() == 1 && graph.settings(task).maxRows() == 0 ? task : null;
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

    /** What to do when the lane's {@code step}-th task fails. */
    OnError onError(int step) {
        return onError[step];
    }

    /** Counts a finished call of the lane's {@code step}-th task. */
    void finished(int step, long in, long out) {
        batches[step]++;
        rowsIn[step] += in;
        rowsOut[step] += out;
    }

    /**
     * Counts the tasks of {@code call} that returned an output. A call run elsewhere (a remote placement)
     * reports no steps here; when it succeeded, every task of it is counted, with the rows known: the
     * first task's input and the last one's output.
     */
    void count(BatchCall call, long in, boolean succeeded, long lastRowsOut) {
        int steps = tasks.size();
        boolean elsewhere = succeeded && call.stepsDone() < steps;
        for (int step = 0; step < (elsewhere ? steps : call.stepsDone()); step++) {
            long out = !elsewhere ? call.rowsOut(step) : step == steps - 1 ? lastRowsOut : 0;
            finished(step, in, out);
            in = out;
        }
    }

    /** The lane's last task: the one whose output leaves the lane. */
    String last() {
        return tasks.get(tasks.size() - 1);
    }

    void skipped(int step, long batchId) {
        skipped.get(step).add(batchId);
    }

    /** The stats of the lane's {@code step}-th task; a fused call counts as running at each of them. */
    TaskStats stats(int step) {
        boolean terminal = step == tasks.size() - 1 && isTerminal();
        return new TaskStats(tasks.get(step), terminal, batches[step], rowsIn[step], rowsOut[step],
                List.copyOf(skipped.get(step)), running - lent, step == 0 ? ready.size() : 0);
    }
}
