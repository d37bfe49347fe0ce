package dev.weir.engine.stream;

import dev.weir.engine.data.ArrowTable;
import java.util.Set;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;

/**
 * A streaming run after it has reported its end, when it gave up on calls (or a trip to the source) past
 * their timeout: it waits only for those, frees what they bring back when they return, and stops when
 * none is left. Nobody waits for it; a call that never returns keeps it, and only it, alive.
 */
final class StreamDrain {

    private final Set<Trip> abandoned;
    private final RunSource source;

    private StreamDrain(Set<Trip> abandoned, RunSource source) {
        this.abandoned = abandoned;
        this.source = source;
    }

    /**
     * The run's behaviour from its end on: stopped at once when it abandoned nothing.
     *
     * @param abandoned the trips the run gave up on (taken over)
     * @param failure   what the run failed with, for a reader that asks again
     */
    static Behavior<StreamRun.Command> after(ActorContext<StreamRun.Command> context, Set<Trip> abandoned,
                                             RunSource source, StreamFailedException failure) {
        if (abandoned.isEmpty() && !source.away()) {
            return Behaviors.stopped();
        }
        context.getLog().warn("streaming run ended with {} call(s) still running past their timeout{}; "
                + "their outputs will be freed when they return", abandoned.size(),
                source.away() ? " and a trip to the source" : "");
        StreamDrain drain = new StreamDrain(abandoned, source);
        return Behaviors.receive(StreamRun.Command.class)
                .onMessage(StreamRun.Finished.class, drain::onFinished)
                .onMessage(StreamRun.Opened.class, drain::lateSource)
                .onMessage(StreamRun.Pulled.class, msg -> {
                    if (msg.relayed() != null) {
                        abandoned.add(msg.relayed());
                    }
                    return drain.lateSource(msg);
                })
                .onMessage(StreamRun.SourceClosed.class, drain::lateSource)
                .onMessage(StreamRun.Next.class, msg -> {
                    msg.reply().completeExceptionally(failure != null ? failure
                            : new IllegalStateException("the streaming run has ended"));
                    return Behaviors.same();
                })
                .onAnyMessage(msg -> Behaviors.same())
                .build();
    }

    private Behavior<StreamRun.Command> onFinished(StreamRun.Finished msg) {
        abandoned.remove(msg.trip());
        if (!msg.delivered()) {
            Trip trip = msg.trip();
            for (int i = 0; i < trip.size(); i++) {
                ArrowTable output = trip.output(i);
                if (output != null) {
                    output.close();
                }
            }
        }
        if (msg.onward() != null) {
            abandoned.add(msg.onward());
        }
        return drained();
    }

    private Behavior<StreamRun.Command> lateSource(StreamRun.Command msg) {
        source.freeLate(msg);
        return drained();
    }

    private Behavior<StreamRun.Command> drained() {
        return abandoned.isEmpty() && !source.away() ? Behaviors.stopped() : Behaviors.same();
    }
}
