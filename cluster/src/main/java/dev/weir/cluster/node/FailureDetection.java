package dev.weir.cluster.node;

import java.time.Duration;
import java.util.Objects;

/**
 * How fast a lost node is noticed and removed. Pekko's defaults remove a killed node after about 25 s;
 * these values (measured on a loaded 2-core machine: 5.3–6.6 s from {@code kill -9} to removal) trade
 * faster recovery for a higher risk of downing a node that is only paused (a long GC, a starved CPU).
 * A node paused longer than {@code acceptableHeartbeatPause} is marked unreachable; once the membership
 * has been stable for {@code stableAfter}, the Split Brain Resolver downs it and its chunks go elsewhere.
 *
 * @param heartbeatInterval        {@code pekko.cluster.failure-detector.heartbeat-interval}
 * @param acceptableHeartbeatPause {@code pekko.cluster.failure-detector.acceptable-heartbeat-pause}
 * @param gossipInterval           {@code pekko.cluster.gossip-interval}
 * @param stableAfter              {@code pekko.cluster.split-brain-resolver.stable-after}
 */
public record FailureDetection(Duration heartbeatInterval, Duration acceptableHeartbeatPause,
                               Duration gossipInterval, Duration stableAfter) {

    public FailureDetection {
        Objects.requireNonNull(heartbeatInterval, "heartbeatInterval is null");
        Objects.requireNonNull(acceptableHeartbeatPause, "acceptableHeartbeatPause is null");
        Objects.requireNonNull(gossipInterval, "gossipInterval is null");
        Objects.requireNonNull(stableAfter, "stableAfter is null");
    }

    /** The tuned values Weir ships with (see the class comment). */
    public static FailureDetection tuned() {
        return new FailureDetection(Duration.ofMillis(500), Duration.ofMillis(1500), Duration.ofMillis(500),
                Duration.ofSeconds(2));
    }
}
