package dev.weir.engine.stream;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * Slots of one lane that the run has lent out: a trip that has just ended on a dispatcher thread may
 * take one and go on to this lane right there (see {@link Relay}), without waiting for the run's actor.
 *
 * <p>This counter is the one piece of run state that other threads change, and it holds no decision:
 * the {@link Scheduler}, on the actor, decides how many slots to lend — only ones nothing queued is
 * waiting for — and counts each lent slot as running, with its resources, until it hears that the slot
 * was taken (the taker always says so, in the message that hands its trip on) or takes it back. So the
 * run's and each lane's parallelism and the resource budget hold whichever thread uses a slot, and
 * nothing else can be lost or counted twice: a slot is taken ({@link #tryTake}) or reclaimed
 * ({@link #reclaim}), never both, by one atomic step.
 */
final class Credits {

    private final AtomicInteger available = new AtomicInteger();

    /** Lends {@code slots} more. Run's actor only. */
    void lend(int slots) {
        available.addAndGet(slots);
    }

    /** Takes one lent slot if there is one. Any thread. */
    boolean tryTake() {
        for (int n = available.get(); n > 0; n = available.get()) {
            if (available.compareAndSet(n, n - 1)) {
                return true;
            }
        }
        return false;
    }

    /** Takes back every lent slot not yet taken and returns how many. Run's actor only. */
    int reclaim() {
        return available.getAndSet(0);
    }
}
