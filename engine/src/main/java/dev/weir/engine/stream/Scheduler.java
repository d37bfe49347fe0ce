package dev.weir.engine.stream;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Decides which ready calls start next: lowest rank (closest to a terminal) first, then oldest batch,
 * then earliest arrival — within the run's parallelism, each lane's parallelism and the resource
 * budget. Owned by the {@link StreamRun} actor; never touched from another thread.
 *
 * <p><b>Trips.</b> A slot is given to a {@link Trip}: one or more ready calls of one lane, run one
 * after another. A lane's ready calls are spread over the slots it may use now, so a trip takes more
 * than one only when the rest would have had to wait for a slot anyway. When a trip takes the run's
 * last free slot, it takes only calls that come before the next call of every other lane that could
 * start, so terminal-first order holds for what was ready when the trip started.
 */
final class Scheduler {

    /** The most calls one trip takes, so that one slow trip does not hold many batches' results back. */
    static final int MAX_CALLS_PER_TRIP = 32;

    private final List<TaskLane> lanes;
    private final RunSettings settings;
    private final Map<String, Double> resourcesInUse = new HashMap<>();
    private int running;
    private int peakRunning;

    Scheduler(List<TaskLane> lanes, RunSettings settings) {
        this.lanes = lanes;
        this.settings = settings;
    }

    /** The next trip to start, its slot and resources taken; {@code null} when nothing can start now. */
    Trip next() {
        TaskLane best = null;
        for (TaskLane lane : lanes) {
            if (!lane.ready.isEmpty() && capacity(lane) > 0 && (best == null || before(lane, best))) {
                best = lane;
            }
        }
        if (best == null) {
            return null;
        }
        int free = capacity(best);
        int wanted = Math.min(MAX_CALLS_PER_TRIP, (best.ready.size() + free - 1) / free);
        TaskLane rival = running + 1 >= settings.parallelism() ? bestOther(best) : null;
        List<TaskLane.Ready> calls = new ArrayList<>(wanted);
        calls.add(best.ready.poll());
        while (calls.size() < wanted && !best.ready.isEmpty() && (rival == null || before(best, rival))) {
            calls.add(best.ready.poll());
        }
        best.running++;
        running++;
        peakRunning = Math.max(peakRunning, running);
        best.settings.resources().forEach((name, amount) -> resourcesInUse.merge(name, amount, Double::sum));
        return new Trip(best, calls);
    }

    /** Frees the slot and resources of a trip of {@code lane} that has ended. */
    void finished(TaskLane lane) {
        lane.running--;
        running--;
        lane.settings.resources().forEach((name, amount) -> resourcesInUse.merge(name, -amount, Double::sum));
    }

    int running() {
        return running;
    }

    int peakRunning() {
        return peakRunning;
    }

    private TaskLane bestOther(TaskLane except) {
        TaskLane best = null;
        for (TaskLane lane : lanes) {
            if (lane != except && !lane.ready.isEmpty() && capacity(lane) > 0 && (best == null || before(lane, best))) {
                best = lane;
            }
        }
        return best;
    }

    /** How many more trips {@code lane} could start now. */
    private int capacity(TaskLane lane) {
        int free = Math.min(lane.settings.parallelism() - lane.running, settings.parallelism() - running);
        for (Map.Entry<String, Double> need : lane.settings.resources().entrySet()) {
            Double budget = settings.budget().get(need.getKey());
            if (budget != null) {
                double left = budget - resourcesInUse.getOrDefault(need.getKey(), 0.0) + 1e-9;
                free = Math.min(free, (int) Math.floor(left / need.getValue()));
            }
        }
        return free;
    }

    /** Terminal-first: lower rank, then older batch, then earlier arrival (comparing the next ready calls). */
    private static boolean before(TaskLane a, TaskLane b) {
        if (a.rank != b.rank) {
            return a.rank < b.rank;
        }
        TaskLane.Ready x = a.ready.peek();
        TaskLane.Ready y = b.ready.peek();
        return x.batchId() != y.batchId() ? x.batchId() < y.batchId() : x.seq() < y.seq();
    }
}
