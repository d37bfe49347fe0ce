package dev.weir.cluster.node;

import dev.weir.cluster.ClusterMessage;
import java.util.concurrent.BlockingQueue;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.receptionist.Receptionist;
import org.apache.pekko.actor.typed.receptionist.ServiceKey;

/** A test guardian that registers with the Receptionist and answers each {@link Ping}, recording it. */
final class Echo {

    static final ServiceKey<Ping> KEY = ServiceKey.create(Ping.class, "weir-test-echo");

    record Ping(String text, ActorRef<Pong> replyTo) implements ClusterMessage {
    }

    record Pong(String text) implements ClusterMessage {
    }

    private Echo() {
    }

    static Behavior<Ping> create(BlockingQueue<String> received) {
        return Behaviors.setup(context -> {
            context.getSystem().receptionist().tell(Receptionist.register(KEY, context.getSelf()));
            return Behaviors.receiveMessage(ping -> {
                received.add(ping.text());
                if (ping.replyTo() != null) {
                    ping.replyTo().tell(new Pong(ping.text()));
                }
                return Behaviors.same();
            });
        });
    }
}
