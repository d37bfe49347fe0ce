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
 *
 * <p><b>Lent slots.</b> Slots that nothing ready can use are lent ({@link Credits}) to lanes that trips
 * under way — or a source pull — will feed, closest to a terminal first, so that those trips go on by
 * themselves (see {@link Relay}); a lane whose ready calls could start but for lent slots gets them back
 * first. A lent slot counts as running, with its resources, until the run hears it was taken or takes it
 * back, so every bound holds whoever uses it.
 */
final class Scheduler {

    /** The most calls one trip takes, so that one slow trip does not hold many batches' results back. */
    static final int MAX_CALLS_PER_TRIP = 32;

    /** Ready calls of one lane to start in one slot. */
    record Pick(TaskLane lane, List<TaskLane.Ready> calls) {
    }

    /** A lane that a trip of {@code upstream} (or, when {@code null}, a source pull) may go on to. */
    private record Onward(TaskLane lane, TaskLane upstream) {
    }

    private final List<TaskLane> lanes;
    private final RunSettings settings;
    /** Closest to a terminal first. */
    private final List<Onward> relayed;
    private final Map<String, Double> resourcesInUse = new HashMap<>();
    private int running;
    private int lent;
    private int peakRunning;

    /** {@code byTask}: every task's lane; {@code first}: the lane the source's batches go on to by themselves, or null. */
    Scheduler(List<TaskLane> lanes, Map<String, TaskLane> byTask, TaskLane first, RunSettings settings) {
        this.lanes = lanes;
        this.settings = settings;
        List<Onward> targets = new ArrayList<>();
        if (first != null) {
            targets.add(new Onward(first, null));
        }
        for (TaskLane lane : lanes) {
            if (lane.relayTo != null) {
                targets.add(new Onward(byTask.get(lane.relayTo), lane));
            }
        }
        targets.sort((a, b) -> Integer.compare(a.lane().rank, b.lane().rank));
        this.relayed = List.copyOf(targets);
    }

    /** The next calls to start, their slot and resources taken; {@code null} when nothing can start now. */
    Pick next() {
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
        occupy(best, 1);
        peakRunning = Math.max(peakRunning, running - lent);
        return new Pick(best, calls);
    }

    /** Frees the slot and resources of a trip of {@code lane} that has ended. */
    void finished(TaskLane lane) {
        occupy(lane, -1);
    }

    /**
     * Lends the slots nothing ready can use to the lanes trips under way will feed: each gets up to one
     * per slot given out upstream of it ({@code pulling}: one for a source pull under way), less what it
     * has already, within its capacity. Closest to a terminal first; then again, since a slot lent to a
     * lane is one more trip that may feed the next, until no more can be lent.
     */
    void lend(boolean pulling) {
        for (boolean more = true; more; ) {
            more = false;
            for (Onward target : relayed) {
                TaskLane lane = target.lane();
                int upstream = target.upstream() == null ? (pulling ? 1 : 0) : target.upstream().running;
                int slots = Math.min(upstream - lane.lent, capacity(lane));
                if (slots > 0) {
                    occupy(lane, slots);
                    lane.lent += slots;
                    lent += slots;
                    lane.credits.lend(slots);
                    more = true;
                }
            }
        }
    }

    /** A lent slot of {@code lane} was taken: a trip runs in it now, and ends like any other. */
    void taken(TaskLane lane) {
        lane.lent--;
        lent--;
        peakRunning = Math.max(peakRunning, running - lent);
    }

    /** Takes back every lent slot not taken yet. */
    void reclaim() {
        for (Onward target : relayed) {
            TaskLane lane = target.lane();
            int back = lane.credits.reclaim();
            if (back > 0) {
                occupy(lane, -back);
                lane.lent -= back;
                lent -= back;
            }
        }
    }

    /**
     * Whether some lane has ready calls that its own parallelism would let start but the run's slots or
     * the budget do not, while slots are lent: they should come back first.
     */
    boolean lendingInTheWay() {
        if (lent == 0) {
            return false;
        }
        for (TaskLane lane : lanes) {
            if (!lane.ready.isEmpty() && capacity(lane) == 0
                    && lane.running - lane.lent < lane.settings.parallelism()) {
                return true;
            }
        }
        return false;
    }

    /** Slots given out: trips running and slots lent. */
    int running() {
        return running;
    }

    private void occupy(TaskLane lane, int slots) {
        lane.running += slots;
        running += slots;
        lane.settings.resources().forEach((name, amount) -> resourcesInUse.merge(name, slots * amount, Double::sum));
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
