package dev.weir.cluster.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import dev.weir.engine.config.ConfigError;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class NodeSettingsTest {

    private static final Map<String, String> PASSWORDS = Map.of(
            "WEIR_CLUSTER_KEY_STORE_PASSWORD", TestCertificates.PASSWORD,
            "WEIR_CLUSTER_TRUST_STORE_PASSWORD", TestCertificates.PASSWORD);

    private static NodeSettings read(String hocon) {
        return read(hocon, PASSWORDS);
    }

    private static NodeSettings read(String hocon, Map<String, String> environment) {
        return NodeSettings.fromConfig(ConfigFactory.parseString(hocon), "node.conf", Path.of(""), environment);
    }

    private static String plain(String more) {
        return "weir.cluster { transport = tcp\n" + more + "\n}";
    }

    private static String stores() {
        TestCertificates certs = TestCertificates.shared();
        return "tls { key-store = \"" + certs.nodeKeyStore() + "\", trust-store = \"" + certs.trustStore() + "\" }";
    }

    @Test
    void defaultsAreAWorkerWithTheTunedFailureDetectorAndTheSplitBrainResolver() {
        NodeSettings settings = read("weir.cluster { " + stores() + " }");
        assertEquals(NodeRole.WORKER, settings.role());
        assertEquals(Transport.TLS_TCP, settings.transport());
        assertEquals(FailureDetection.tuned(), settings.failureDetection());
        assertTrue(settings.exitJvmWhenDown());
        assertEquals(Runtime.getRuntime().availableProcessors(), settings.slots());

        Config pekko = NodePekkoConfig.of(settings);
        assertEquals("org.apache.pekko.cluster.sbr.SplitBrainResolverProvider",
                pekko.getString("pekko.cluster.downing-provider-class"));
        assertEquals("static-quorum", pekko.getString("pekko.cluster.split-brain-resolver.active-strategy"));
        assertEquals(1, pekko.getInt("pekko.cluster.split-brain-resolver.static-quorum.quorum-size"));
        assertEquals("coordinator", pekko.getString("pekko.cluster.split-brain-resolver.static-quorum.role"));
        assertEquals(Duration.ofSeconds(2), pekko.getDuration("pekko.cluster.split-brain-resolver.stable-after"));
        assertEquals(Duration.ofMillis(500), pekko.getDuration("pekko.cluster.failure-detector.heartbeat-interval"));
        assertEquals(Duration.ofMillis(1500),
                pekko.getDuration("pekko.cluster.failure-detector.acceptable-heartbeat-pause"));
        assertEquals(Duration.ofMillis(500), pekko.getDuration("pekko.cluster.gossip-interval"));
        assertFalse(pekko.getBoolean("pekko.actor.allow-java-serialization"));
        assertTrue(pekko.getBoolean("pekko.cluster.run-coordinated-shutdown-when-down"));
        assertTrue(pekko.getBoolean("pekko.coordinated-shutdown.exit-jvm"));
        assertEquals("tls-tcp", pekko.getString("pekko.remote.artery.transport"));
        assertEquals(List.of("worker"), pekko.getStringList("pekko.cluster.roles"));
    }

    @Test
    void seedNodesBecomePekkoAddressesOfTheConfiguredSystem() {
        NodeSettings settings = read(plain("system-name = flows, seed-nodes = [\"10.0.0.5:25520\", \"[::1]:2552\"]"));
        assertEquals(List.of("pekko://flows@10.0.0.5:25520", "pekko://flows@[::1]:2552"),
                NodePekkoConfig.of(settings).getStringList("pekko.cluster.seed-nodes"));
    }

    @Test
    void anEmbeddedWorkerCanOptOutOfExitingTheJvm() {
        NodeSettings settings = read(plain("exit-jvm-when-down = off"));
        assertFalse(NodePekkoConfig.of(settings).getBoolean("pekko.coordinated-shutdown.exit-jvm"));
        assertTrue(NodePekkoConfig.of(settings.withExitJvmWhenDown(true))
                .getBoolean("pekko.coordinated-shutdown.exit-jvm"));
    }

    @Test
    void plainTcpNeedsNoStores() {
        NodeSettings settings = read(plain("role = coordinator"));
        assertEquals(Transport.TCP, settings.transport());
        assertNull(settings.tls());
        assertEquals("tcp", NodePekkoConfig.of(settings).getString("pekko.remote.artery.transport"));
    }

    @Test
    void badValuesNameTheFileTheKeyAndWhatWasExpected() {
        assertError(plain("port = abc"), "node.conf: weir.cluster.port: 'abc' - expected 0 (any free port)");
        assertError(plain("port = 70000"), "node.conf: weir.cluster.port: '70000'");
        assertError(plain("role = boss"), "node.conf: weir.cluster.role: 'boss' - expected one of [coordinator, observer, worker]");
        assertError(plain("transport = udp"), "weir.cluster.transport: 'udp' - expected one of [tcp, tls-tcp]");
        assertError(plain("seed-nodes = [\"10.0.0.5\"]"), "weir.cluster.seed-nodes: '10.0.0.5' - expected HOST:PORT");
        assertError(plain("seed-nodes = \"10.0.0.5:25520\""), "weir.cluster.seed-nodes: '10.0.0.5:25520' - expected a list");
        assertError(plain("slots = 0"), "weir.cluster.slots: '0' - expected 'auto'");
        assertError(plain("failure-detection.stable-after = soon"), "weir.cluster.failure-detection.stable-after: 'soon'"
                + " - expected a duration");
        assertError(plain("failure-detection.acceptable-heartbeat-pause = 100 ms"),
                "expected at least failure-detection.heartbeat-interval");
        assertError(plain("system-name = \"my system\""), "weir.cluster.system-name: 'my system'");
        assertError(plain("slot = 3"), "node.conf: weir.cluster.slot: not a known key; known keys under weir.cluster.");
        assertError(plain("failure-detection.heartbeat = 1 s"), "weir.cluster.failure-detection.heartbeat: not a known key");
        assertError(plain("tls = on"), "weir.cluster.tls: must be a block of keys");
    }

    @Test
    void theSideChannelHasAPortAndATransferTimeout() {
        assertEquals(SideChannelSettings.defaults(), read(plain("")).sideChannel());
        SideChannelSettings chosen = read(plain("side-channel { port = 25521, transfer-timeout = 30 s }"))
                .sideChannel();
        assertEquals(25521, chosen.port());
        assertEquals(Duration.ofSeconds(30), chosen.transferTimeout());
    }

    @Test
    void aBadSideChannelValueNamesItsKeyAndTheFile() {
        assertError(plain("side-channel.port = 70000"), "node.conf: weir.cluster.side-channel.port: '70000' - expected"
                + " 0 (any free port) or a port from 1 to 65535");
        assertError(plain("side-channel.port = firewall"), "node.conf: weir.cluster.side-channel.port: 'firewall'");
        assertError(plain("port = 25520, side-channel.port = 25520"), "node.conf: weir.cluster.side-channel.port:"
                + " '25520' - expected a port other than weir.cluster.port (25520)");
        assertError(plain("side-channel.transfer-timeout = 0 s"), "node.conf: weir.cluster.side-channel.transfer-timeout:"
                + " '0 s' - expected a positive duration");
        assertError(plain("side-channel.transfer-timeout = long"), "weir.cluster.side-channel.transfer-timeout: 'long'"
                + " - expected a duration");
        assertError(plain("side-channel.bind-port = 1"), "node.conf: weir.cluster.side-channel.bind-port: not a known"
                + " key; known keys under weir.cluster.side-channel. are [port, transfer-timeout]");
        assertError(plain("side-channel = 25521"), "weir.cluster.side-channel: must be a block of keys");
    }

    @Test
    void tlsNeedsBothStoresNamingTheKeyAndTheEnvironmentVariable() {
        assertError("weir.cluster {}", "node.conf: weir.cluster.tls.key-store: - expected the path of a PKCS12 or JKS"
                + " file, in this key or the environment variable WEIR_CLUSTER_KEY_STORE");
        assertError("weir.cluster.tls.key-store = /no/such/node.p12", "weir.cluster.tls.key-store: '/no/such/node.p12'"
                + " - expected a readable file");
    }

    @Test
    void passwordsComeFromTheEnvironmentWhenTheBlockHasNone() {
        assertError("weir.cluster { " + stores() + " }", Map.of(), "weir.cluster.tls.key-store-password: - expected a"
                + " password: set the key (e.g. key-store-password = ${?WEIR_CLUSTER_KEY_STORE_PASSWORD}) or the"
                + " environment variable WEIR_CLUSTER_KEY_STORE_PASSWORD");
        TlsSettings tls = read("weir.cluster { " + stores() + " }").tls();
        assertEquals(TestCertificates.PASSWORD, tls.keyStorePassword());
        assertEquals(TestCertificates.PASSWORD, tls.keyPassword(), "the key password defaults to the store's");
        assertFalse(tls.toString().contains(TestCertificates.PASSWORD));
    }

    @Test
    void storesAreFoundFromTheEnvironmentToo() {
        TestCertificates certs = TestCertificates.shared();
        Map<String, String> env = Map.of("WEIR_CLUSTER_KEY_STORE", certs.nodeKeyStore().toString(),
                "WEIR_CLUSTER_TRUST_STORE", certs.trustStore().toString(),
                "WEIR_CLUSTER_KEY_STORE_PASSWORD", TestCertificates.PASSWORD,
                "WEIR_CLUSTER_TRUST_STORE_PASSWORD", TestCertificates.PASSWORD);
        assertEquals(certs.nodeKeyStore(), read("weir.cluster {}", env).tls().keyStore());
    }

    @Test
    void aWrongPasswordNamesItsKeyButNotThePassword() {
        String wrong = "not-the-Password-123";
        ConfigError error = assertThrows(ConfigError.class, () -> read("weir.cluster { " + stores() + " }",
                Map.of("WEIR_CLUSTER_KEY_STORE_PASSWORD", TestCertificates.PASSWORD,
                        "WEIR_CLUSTER_TRUST_STORE_PASSWORD", wrong)));
        assertTrue(error.getMessage().startsWith("node.conf: weir.cluster.tls.trust-store-password: does not open "),
                error.getMessage());
        assertFalse(error.getMessage().contains(wrong), error.getMessage());
    }

    @Test
    void aFileIsReadWithStorePathsRelativeToItsDirectoryAndErrorsNameIt(@TempDir Path dir) throws Exception {
        TestCertificates certs = TestCertificates.shared();
        Files.copy(certs.nodeKeyStore(), dir.resolve("node.p12"));
        Files.copy(certs.trustStore(), dir.resolve("trust.p12"));
        Path file = dir.resolve("node.conf");
        Files.writeString(file, "weir.cluster { role = coordinator, port = 25600\n"
                + "  tls { key-store = node.p12, trust-store = trust.p12,\n"
                + "        key-store-password = \"" + TestCertificates.PASSWORD + "\", trust-store-password = \""
                + TestCertificates.PASSWORD + "\" } }\n"
                + "pekko.loglevel = WARNING\n");
        NodeSettings settings = NodeSettings.load(file);
        assertEquals(dir.resolve("node.p12"), settings.tls().keyStore());
        assertEquals(25600, settings.port());
        assertEquals("WARNING", settings.pekko().getString("pekko.loglevel"), "the file's pekko block is kept");

        Files.writeString(file, "weir.cluster { role = coordinator, port = -1, transport = tcp }\n");
        ConfigError error = assertThrows(ConfigError.class, () -> NodeSettings.load(file));
        assertEquals(file.toString(), error.file());
        assertEquals("weir.cluster.port", error.key());

        Files.writeString(file, "weir.cluster { tls.key-store-password = \"" + TestCertificates.PASSWORD + "\n");
        error = assertThrows(ConfigError.class, () -> NodeSettings.load(file));
        assertTrue(error.getMessage().contains("is not valid HOCON (line"), error.getMessage());
        assertFalse(error.getMessage().contains(TestCertificates.PASSWORD), error.getMessage());
    }

    private static void assertError(String hocon, String expected) {
        assertError(hocon, PASSWORDS, expected);
    }

    private static void assertError(String hocon, Map<String, String> environment, String expected) {
        ConfigError error = assertThrows(ConfigError.class, () -> read(hocon, environment), hocon);
        assertTrue(error.getMessage().contains(expected), "expected «" + expected + "» in «" + error.getMessage() + "»");
    }
}
