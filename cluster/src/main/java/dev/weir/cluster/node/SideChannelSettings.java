package dev.weir.cluster.node;

import java.time.Duration;
import java.util.Objects;

/**
 * A node's Arrow side channel ({@code dev.weir.cluster.channel.ArrowChannel}): the socket that tables
 * cross nodes on, beside the cluster's own port. It listens on the node's {@code weir.cluster.hostname}.
 *
 * @param port            {@code weir.cluster.side-channel.port}: 0 picks a free port; behind a firewall
 *                        choose one and open it between the nodes
 * @param transferTimeout {@code weir.cluster.side-channel.transfer-timeout}: the bound on one transfer, and
 *                        how long an offered table waits to be pulled before it is freed
 */
public record SideChannelSettings(int port, Duration transferTimeout) {

    public SideChannelSettings {
        Objects.requireNonNull(transferTimeout, "transferTimeout is null");
        if (port < 0 || port > 65_535) {
            throw new IllegalArgumentException("the side channel's port must be 0 (any free port) or 1 to 65535, not "
                    + port);
        }
        if (transferTimeout.isNegative() || transferTimeout.isZero()) {
            throw new IllegalArgumentException("the side channel's transfer timeout must be positive, not "
                    + transferTimeout);
        }
    }

    /** The defaults: any free port, transfers bounded by 2 minutes. */
    public static SideChannelSettings defaults() {
        return new SideChannelSettings(0, Duration.ofMinutes(2));
    }
}
