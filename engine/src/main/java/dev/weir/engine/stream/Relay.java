package dev.weir.engine.stream;

import dev.weir.engine.data.ArrowTable;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.pekko.actor.typed.ActorRef;

/**
 * The part of a run that happens where the work is, off the run's actor: when a trip's calls have
 * ended — or a source pull has come back — on a dispatcher thread, their outputs go on to the next
 * lane right there if that lane takes them whole and has a slot lent ({@link Credits}); the run's actor
 * is told in either case and keeps the books, but no longer stands between one task and the next.
 *
 * <p>A trip goes on only to the one task that takes all of its lane's outputs
 * ({@link TaskLane#relayTo}); fan-outs, joins and splits go through the actor. Only successful outputs
 * go on; failures are reported to the actor as before, which fails the run or skips the batch. Each
 * message is told before the next trip's calls start, from the same thread, so the actor hears a trip
 * handed on before it hears that trip end. Immutable apart from the credits it takes; safe on any thread.
 */
final class Relay {

    private final ActorRef<StreamRun.Command> run;
    private final BatchPlacement placement;
    private final Map<String, Object> context;
    private final BufferAllocator allocator;
    private final Map<String, TaskLane> byTask;
    private final TaskLane first;
    private final StreamOutputs outputs;

    /** {@code byTask}: every task's lane; {@code first}: the lane source batches go on to, or null. */
    Relay(ActorRef<StreamRun.Command> run, BatchPlacement placement, Map<String, Object> context,
          BufferAllocator allocator, Map<String, TaskLane> byTask, TaskLane first, StreamOutputs outputs) {
        this.run = run;
        this.placement = placement;
        this.context = context;
        this.allocator = allocator;
        this.byTask = Map.copyOf(byTask);
        this.first = first;
        this.outputs = outputs;
    }

    /** Hands {@code trip}, which holds a slot, to the placement. Run's actor thread. */
    void start(Trip trip) {
        submit(trip.calls(), new Leg(trip));
    }

    /**
     * Hands {@code calls} to the placement. A placement that throws has not taken them (as in
     * {@link BatchPlacement#submitAll(List)}): their inputs are freed here and each call ends failed with
     * the placement's exception, so that the run hears of the trip as of any other — rather than waiting
     * for a trip nobody runs, or stopping its actor.
     */
    private void submit(List<BatchCall> calls, Leg leg) {
        try {
            placement.submitAll(calls, leg);
        } catch (RuntimeException | Error e) {
            List<CompletionStage<ArrowTable>> failed = new ArrayList<>(calls.size());
            for (BatchCall call : calls) {
                call.discard();
                failed.add(CompletableFuture.failedFuture(e));
            }
            List<BatchCall> next = leg.next(failed);
            if (!next.isEmpty()) {
                submit(next, leg);
            }
        }
    }

    /**
     * Pulls up to {@code wanted} batches from {@code it}, numbered from {@code firstId}, and tells the run
     * ({@link StreamRun.Pulled}); when the first lane has a slot lent, they go on to it without passing
     * through the actor — on another dispatcher thread, not this one: the run pulls one group at a time,
     * and a pull that went on to run the chain itself would keep the source from making the next group
     * while the tasks work.
     * Blocking dispatcher only; one pull at a time.
     */
    void pull(Iterator<ArrowTable> it, long wanted, long firstId) {
        SourceReads.Pull pull;
        try {
            pull = SourceReads.pull(it, wanted);
        } catch (RuntimeException | Error e) {
            run.tell(new StreamRun.Pulled(List.of(), null, false, e));
            return;
        }
        if (first == null || pull.tables().isEmpty() || !first.credits.tryTake()) {
            run.tell(new StreamRun.Pulled(pull.tables(), null, pull.exhausted(), null));
            return;
        }
        List<TaskLane.Ready> ready = new ArrayList<>(pull.tables().size());
        for (ArrowTable table : pull.tables()) {
            ready.add(new TaskLane.Ready(firstId + ready.size(), 0, TaskLane.Order.WHOLE,
                    Map.of(StreamGraph.SOURCE, table)));
        }
        Trip trip = new Trip(first, ready, context, allocator);
        run.tell(new StreamRun.Pulled(List.of(), trip, pull.exhausted(), null));
        submit(trip.calls(), new Leg(trip));
    }

    /** The trip after {@code trip}, holding its outputs and a slot taken; {@code null} when it does not go on. */
    private Trip onward(Trip trip) {
        TaskLane next = trip.lane.relayTo == null ? null : byTask.get(trip.lane.relayTo);
        if (next == null || !trip.anyOutput() || !next.credits.tryTake()) {
            return null;
        }
        String from = trip.lane.last();
        List<TaskLane.Ready> ready = new ArrayList<>(trip.size());
        for (int i = 0; i < trip.size(); i++) {
            if (trip.output(i) != null) {
                ready.add(new TaskLane.Ready(trip.ready.get(i).batchId(), 0, trip.ready.get(i).order(),
                        Map.of(from, trip.output(i))));
            }
        }
        return new Trip(next, ready, context, allocator);
    }

    /**
     * Answers the reader's lent request with the outputs of {@code trip}, a trip of a terminal lane whose
     * batches arrive whole (so each is part 0), before the run hears of the trip; {@code false} when the
     * trip has no output or the request is not lent.
     */
    private boolean deliver(Trip trip) {
        if (!trip.lane.isTerminal() || !trip.lane.whole || !trip.anyOutput()) {
            return false;
        }
        CompletableFuture<List<BatchResult>> reader = outputs.takeLent();
        if (reader == null) {
            return false;
        }
        List<BatchResult> results = new ArrayList<>(trip.size());
        for (int i = 0; i < trip.size(); i++) {
            if (trip.output(i) != null) {
                results.add(new BatchResult(trip.ready.get(i).batchId(), 0, trip.lane.last(), trip.output(i)));
            }
        }
        reader.complete(results);
        return true;
    }

    /**
     * Follows one chain of trips: each time the current one ends, records its outcomes, tells the run,
     * and returns the next one's calls if it goes on. Called by the placement once per trip, each time
     * after the previous call has returned, so {@code current} needs no lock.
     */
    private final class Leg implements BatchPlacement.FollowUp {

        private Trip current;

        Leg(Trip trip) {
            this.current = trip;
        }

        @Override
        public List<BatchCall> next(List<CompletionStage<ArrowTable>> ended) {
            Trip trip = current;
            trip.ended(ended);
            Trip next = onward(trip);
            if (next == null) {
                run.tell(new StreamRun.Finished(trip, null, deliver(trip)));
                return List.of();
            }
            run.tell(new StreamRun.Finished(trip, next, false));
            current = next;
            return next.calls();
        }
    }
}
