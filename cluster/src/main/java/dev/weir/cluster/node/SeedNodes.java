package dev.weir.cluster.node;

import dev.weir.engine.config.ConfigError;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Seed nodes written as {@code HOST:PORT} (or {@code [IPv6]:PORT}), and their Pekko addresses. */
final class SeedNodes {

    private static final Pattern HOST_PORT = Pattern.compile("(\\[[0-9A-Fa-f:.]+\\]|[A-Za-z0-9._-]+):([0-9]{1,5})");

    private SeedNodes() {
    }

    record HostPort(String host, int port) {
    }

    static HostPort parse(String seed, String origin, String key) {
        Matcher m = HOST_PORT.matcher(seed == null ? "" : seed.trim());
        if (!m.matches()) {
            throw new ConfigError(origin, key, seed, "HOST:PORT, e.g. 10.0.0.5:25520");
        }
        int port = Integer.parseInt(m.group(2));
        if (port < 1 || port > 65_535) {
            throw new ConfigError(origin, key, seed, "a port from 1 to 65535");
        }
        return new HostPort(m.group(1), port);
    }

    /** {@code pekko://SYSTEM@HOST:PORT}: Artery uses the {@code pekko} protocol over tcp and tls-tcp alike. */
    static String address(String systemName, String seed) {
        HostPort hp = parse(seed, "seed nodes", "seed-nodes");
        return "pekko://" + systemName + "@" + hp.host() + ":" + hp.port();
    }
}
