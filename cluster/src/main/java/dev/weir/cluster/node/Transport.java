package dev.weir.cluster.node;

import java.util.Locale;

/** How nodes talk to each other: Artery over TCP, with mutually authenticated TLS unless told otherwise. */
public enum Transport {
    /** Artery {@code tls-tcp}: each side presents a certificate the other's trust store accepts. */
    TLS_TCP,
    /** Artery {@code tcp}: unauthenticated and unencrypted, for a trusted network only (warned at start). */
    TCP;

    /** The value of {@code weir.cluster.transport} and of Pekko's {@code pekko.remote.artery.transport}. */
    public String configName() {
        return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }
}
