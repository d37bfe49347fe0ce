package dev.weir.cluster.node;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigParseOptions;
import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueType;
import dev.weir.engine.config.ConfigError;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;

/** Reads and validates the {@code weir.cluster} block into {@link NodeSettings}. */
final class NodeSettingsReader {

    static final String PREFIX = "weir.cluster.";
    static final String KEY_STORE_PASSWORD_ENV = "WEIR_CLUSTER_KEY_STORE_PASSWORD";
    static final String KEY_PASSWORD_ENV = "WEIR_CLUSTER_KEY_PASSWORD";
    static final String TRUST_STORE_PASSWORD_ENV = "WEIR_CLUSTER_TRUST_STORE_PASSWORD";
    static final String KEY_STORE_ENV = "WEIR_CLUSTER_KEY_STORE";
    static final String TRUST_STORE_ENV = "WEIR_CLUSTER_TRUST_STORE";

    private static final Set<String> KEYS = Set.of("role", "system-name", "hostname", "port", "seed-nodes", "slots",
            "transport", "tls", "exit-jvm-when-down", "join-timeout", "drain-timeout", "failure-detection",
            "side-channel");
    private static final Set<String> TLS_KEYS = Set.of("key-store", "key-store-password", "key-password",
            "trust-store", "trust-store-password", "protocol", "enabled-algorithms", "hostname-verification");
    private static final Set<String> FAILURE_KEYS = Set.of("heartbeat-interval", "acceptable-heartbeat-pause",
            "gossip-interval", "stable-after");
    private static final Set<String> SIDE_CHANNEL_KEYS = Set.of("port", "transfer-timeout");
    /** Pekko's rule for an actor system's name. */
    private static final Pattern SYSTEM_NAME = Pattern.compile("[a-zA-Z0-9][a-zA-Z0-9_-]*");

    private final Config config;
    private final String origin;
    private final Path baseDirectory;
    private final Map<String, String> environment;

    private NodeSettingsReader(Config config, String origin, Path baseDirectory, Map<String, String> environment) {
        this.config = config;
        this.origin = origin;
        this.baseDirectory = baseDirectory;
        this.environment = environment;
    }

    static NodeSettings load(Path file, Map<String, String> environment) {
        String origin = file.toString();
        if (!Files.isRegularFile(file)) {
            throw ConfigError.of(origin, "no such file (" + file.toAbsolutePath() + ")", null);
        }
        Config parsed;
        try {
            parsed = ConfigFactory.parseFile(file.toFile(),
                    ConfigParseOptions.defaults().setAllowMissing(false).setOriginDescription(origin)).resolve();
        } catch (ConfigException e) {
            // The parser quotes the text around an error, which may hold a password: give the line only.
            int line = e.origin() == null ? -1 : e.origin().lineNumber();
            throw ConfigError.of(origin, "is not valid HOCON" + (line > 0 ? " (line " + line + ")" : ""), null);
        }
        Path dir = file.toAbsolutePath().getParent();
        return NodeSettingsReader.read(parsed, origin, dir == null ? Path.of("") : dir, environment);
    }

    static NodeSettings read(Config config, String origin, Path baseDirectory, Map<String, String> environment) {
        Config own = block(config, "weir.cluster", "weir.cluster", origin);
        checkKnown(own, "", KEYS, origin);
        checkKnown(block(own, "tls", PREFIX + "tls", origin), "tls.", TLS_KEYS, origin);
        checkKnown(block(own, "failure-detection", PREFIX + "failure-detection", origin), "failure-detection.",
                FAILURE_KEYS, origin);
        checkKnown(block(own, "side-channel", PREFIX + "side-channel", origin), "side-channel.", SIDE_CHANNEL_KEYS,
                origin);
        Config merged = own.withFallback(ConfigFactory.defaultReference(NodeSettings.class.getClassLoader())
                .getConfig("weir.cluster"));
        Config pekko = config.hasPath("pekko") ? config.getConfig("pekko").atKey("pekko") : ConfigFactory.empty();
        return new NodeSettingsReader(merged, origin, baseDirectory, environment).settings(pekko);
    }

    private NodeSettings settings(Config pekko) {
        NodeRole role = oneOf("role", Map.of("coordinator", NodeRole.COORDINATOR,
                "worker", NodeRole.WORKER, "observer", NodeRole.OBSERVER));
        String systemName = string("system-name");
        if (!SYSTEM_NAME.matcher(systemName).matches()) {
            throw error("system-name", systemName, "letters, digits, '-' and '_', starting with a letter or digit");
        }
        String hostname = string("hostname");
        if (hostname.isBlank()) {
            throw error("hostname", hostname, "the host name or IP address other nodes reach this node at");
        }
        int port = integer("port", 0, 65_535, "0 (any free port) or a port from 1 to 65535");
        List<String> seeds = seedNodes();
        int slots = slots();
        Transport transport = oneOf("transport", Map.of("tls-tcp", Transport.TLS_TCP,
                "tcp", Transport.TCP));
        TlsSettings tls = transport == Transport.TLS_TCP ? tls() : null;
        boolean exitJvm = bool("exit-jvm-when-down");
        Duration joinTimeout = positiveDuration("join-timeout");
        Duration drainTimeout = positiveDuration("drain-timeout");
        FailureDetection failure = new FailureDetection(positiveDuration("failure-detection.heartbeat-interval"),
                positiveDuration("failure-detection.acceptable-heartbeat-pause"),
                positiveDuration("failure-detection.gossip-interval"),
                positiveDuration("failure-detection.stable-after"));
        if (failure.acceptableHeartbeatPause().compareTo(failure.heartbeatInterval()) < 0) {
            throw error("failure-detection.acceptable-heartbeat-pause", config.getValue(
                    "failure-detection.acceptable-heartbeat-pause").unwrapped().toString(),
                    "at least failure-detection.heartbeat-interval (" + failure.heartbeatInterval() + ")");
        }
        SideChannelSettings sideChannel = sideChannel(port);
        return new NodeSettings(origin, role, systemName, hostname, port, seeds, slots, transport, tls, exitJvm,
                joinTimeout, drainTimeout, failure, sideChannel, pekko);
    }

    /** The side channel listens beside the node's own port, on the same host: never on the same port. */
    private SideChannelSettings sideChannel(int nodePort) {
        int port = integer("side-channel.port", 0, 65_535, "0 (any free port) or a port from 1 to 65535");
        if (port != 0 && port == nodePort) {
            throw error("side-channel.port", String.valueOf(port), "a port other than " + PREFIX + "port (" + nodePort
                    + "), which the node's cluster transport listens on");
        }
        return new SideChannelSettings(port, positiveDuration("side-channel.transfer-timeout"));
    }

    private List<String> seedNodes() {
        String key = "seed-nodes";
        ConfigValue value = config.getValue(key);
        if (value.valueType() != ConfigValueType.LIST) {
            throw error(key, String.valueOf(value.unwrapped()), "a list of HOST:PORT, e.g. [\"10.0.0.5:25520\"]");
        }
        List<String> seeds = new ArrayList<>();
        for (Object seed : (List<?>) value.unwrapped()) {
            String text = String.valueOf(seed);
            SeedNodes.parse(text, origin, PREFIX + key);
            seeds.add(text.trim());
        }
        return seeds;
    }

    private int slots() {
        String key = "slots";
        ConfigValue value = config.getValue(key);
        if (value.valueType() == ConfigValueType.STRING && "auto".equals(value.unwrapped())) {
            return Runtime.getRuntime().availableProcessors();
        }
        return integer(key, 1, 10_000, "'auto' (one per processor) or a number of chunks from 1 to 10000");
    }

    private TlsSettings tls() {
        Path keyStore = storePath("tls.key-store", KEY_STORE_ENV);
        String keyStorePassword = password("tls.key-store-password", KEY_STORE_PASSWORD_ENV, null);
        String keyPassword = password("tls.key-password", KEY_PASSWORD_ENV, keyStorePassword);
        Path trustStore = storePath("tls.trust-store", TRUST_STORE_ENV);
        String trustStorePassword = password("tls.trust-store-password", TRUST_STORE_PASSWORD_ENV, null);
        KeyStore keys = open(keyStore, keyStorePassword, "tls.key-store", "tls.key-store-password");
        checkPrivateKey(keys, keyStore, keyPassword);
        KeyStore trusted = open(trustStore, trustStorePassword, "tls.trust-store", "tls.trust-store-password");
        checkTrustedCertificate(trusted, trustStore);
        List<String> algorithms;
        try {
            algorithms = config.getStringList("tls.enabled-algorithms");
        } catch (ConfigException.WrongType e) {
            throw error("tls.enabled-algorithms", null, "a list of cipher suites, e.g. [\"TLS_AES_256_GCM_SHA384\"]");
        }
        if (algorithms.isEmpty()) {
            throw error("tls.enabled-algorithms", "[]", "at least one cipher suite, e.g. [\"TLS_AES_256_GCM_SHA384\"]");
        }
        return new TlsSettings(keyStore, keyStorePassword, keyPassword, trustStore, trustStorePassword,
                string("tls.protocol"), algorithms, bool("tls.hostname-verification"));
    }

    private Path storePath(String key, String variable) {
        String text = string(key);
        if (text.isBlank()) {
            text = environment.getOrDefault(variable, "");
        }
        if (text.isBlank()) {
            throw error(key, null, "the path of a PKCS12 or JKS file, in this key or the environment variable "
                    + variable + " (transport tls-tcp needs " + PREFIX + "tls.key-store and " + PREFIX
                    + "tls.trust-store; the README's \"Run on a cluster\" shows how to make them; on a trusted"
                    + " network only, " + PREFIX + "transport = tcp needs none)");
        }
        Path path = baseDirectory.resolve(text).normalize();
        if (!Files.isRegularFile(path) || !Files.isReadable(path)) {
            throw error(key, text, "a readable file; " + path.toAbsolutePath() + " is not one (a relative path is"
                    + " read from the configuration's directory)");
        }
        return path;
    }

    /** A password from its key, else from the environment, else the fallback; never echoed in an error. */
    private String password(String key, String variable, String fallback) {
        if (config.hasPath(key)) {
            try {
                return config.getString(key);
            } catch (ConfigException.WrongType e) {
                throw error(key, null, "a string");
            }
        }
        String fromEnvironment = environment.get(variable);
        if (fromEnvironment != null) {
            return fromEnvironment;
        }
        if (fallback != null) {
            return fallback;
        }
        throw error(key, null, "a password: set the key (e.g. " + key.substring(key.indexOf('.') + 1) + " = ${?"
                + variable + "}) or the environment variable " + variable);
    }

    private KeyStore open(Path file, String password, String key, String passwordKey) {
        try {
            return KeyStore.getInstance(file.toFile(), password.toCharArray());
        } catch (IOException e) {
            if (e.getCause() instanceof java.security.UnrecoverableKeyException) {
                throw ConfigError.at(origin, PREFIX + passwordKey, "does not open " + file
                        + " (" + PREFIX + key + "): the password is wrong");
            }
            throw ConfigError.at(origin, PREFIX + key, "cannot read " + file + " as a PKCS12 or JKS key store: "
                    + e.getClass().getSimpleName());
        } catch (GeneralSecurityException e) {
            throw ConfigError.at(origin, PREFIX + key, "cannot read " + file + " as a PKCS12 or JKS key store: "
                    + e.getClass().getSimpleName());
        }
    }

    private void checkPrivateKey(KeyStore keys, Path file, String keyPassword) {
        try {
            for (String alias : Collections.list(keys.aliases())) {
                if (keys.isKeyEntry(alias)) {
                    try {
                        keys.getKey(alias, keyPassword.toCharArray());
                        return;
                    } catch (java.security.UnrecoverableKeyException e) {
                        throw ConfigError.at(origin, PREFIX + "tls.key-password", "does not unlock the private key '"
                                + alias + "' in " + file + ": the password is wrong");
                    }
                }
            }
        } catch (GeneralSecurityException e) {
            throw ConfigError.at(origin, PREFIX + "tls.key-store", "cannot read " + file + ": "
                    + e.getClass().getSimpleName());
        }
        throw ConfigError.at(origin, PREFIX + "tls.key-store", file + " holds no private key; it must hold this"
                + " node's key and its certificate signed by the cluster's CA");
    }

    private void checkTrustedCertificate(KeyStore trusted, Path file) {
        try {
            for (String alias : Collections.list(trusted.aliases())) {
                if (trusted.isCertificateEntry(alias)) {
                    return;
                }
            }
        } catch (GeneralSecurityException e) {
            throw ConfigError.at(origin, PREFIX + "tls.trust-store", "cannot read " + file + ": "
                    + e.getClass().getSimpleName());
        }
        throw ConfigError.at(origin, PREFIX + "tls.trust-store", file + " holds no trusted certificate; it must"
                + " hold the certificate of the CA that signed the cluster's node certificates");
    }

    private <E> E oneOf(String key, Map<String, E> values) {
        String text = string(key);
        E value = values.get(text.toLowerCase(Locale.ROOT));
        if (value == null) {
            throw error(key, text, "one of " + new TreeSet<>(values.keySet()));
        }
        return value;
    }

    private String string(String key) {
        ConfigValue value = config.getValue(key);
        if (value.valueType() == ConfigValueType.OBJECT || value.valueType() == ConfigValueType.LIST) {
            throw error(key, null, "a single value, found a " + value.valueType().name().toLowerCase(Locale.ROOT));
        }
        return String.valueOf(value.unwrapped());
    }

    private int integer(String key, int min, int max, String expected) {
        String text = string(key);
        try {
            int value = Integer.parseInt(text.trim());
            if (value < min || value > max) {
                throw error(key, text, expected);
            }
            return value;
        } catch (NumberFormatException e) {
            throw error(key, text, expected);
        }
    }

    private boolean bool(String key) {
        try {
            return config.getBoolean(key);
        } catch (ConfigException.WrongType e) {
            throw error(key, string(key), "on or off (true or false)");
        }
    }

    private Duration positiveDuration(String key) {
        Duration value;
        try {
            value = config.getDuration(key);
        } catch (ConfigException.BadValue | ConfigException.WrongType e) {
            throw error(key, string(key), "a duration such as 500 ms, 2 s or 1 minute");
        }
        if (value.isNegative() || value.isZero()) {
            throw error(key, string(key), "a positive duration");
        }
        return value;
    }

    private ConfigError error(String key, String value, String expected) {
        return new ConfigError(origin, PREFIX + key, value, expected);
    }

    private static Config block(Config config, String path, String key, String origin) {
        if (!config.hasPath(path)) {
            return ConfigFactory.empty();
        }
        if (config.getValue(path).valueType() != ConfigValueType.OBJECT) {
            throw ConfigError.at(origin, key, "must be a block of keys ({ ... }), found a "
                    + config.getValue(path).valueType().name().toLowerCase(Locale.ROOT));
        }
        return config.getConfig(path);
    }

    private static void checkKnown(Config block, String prefix, Set<String> known, String origin) {
        for (String key : block.root().keySet()) {
            if (!known.contains(key)) {
                throw ConfigError.at(origin, PREFIX + prefix + key, "not a known key; known keys under " + PREFIX
                        + prefix + " are " + new TreeSet<>(known));
            }
        }
    }
}
