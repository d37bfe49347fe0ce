package dev.weir.cluster.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigParseOptions;
import com.typesafe.config.ConfigValue;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The repository's application.conf, the documented sample of a node's configuration. */
class SampleConfigurationTest {

    /** Keys whose sample value differs from the default on purpose (the file says "sample"). */
    private static final Set<String> SAMPLE_VALUES = Set.of("seed-nodes", "tls.key-store", "tls.trust-store");

    private static Path sample() {
        Path file = Path.of(System.getProperty("basedir", "."), "..", "application.conf").normalize();
        assertTrue(Files.isRegularFile(file), "the repository's application.conf at " + file.toAbsolutePath());
        return file;
    }

    @Test
    void theSampleReadsIntoValidSettingsWithItsStoresInPlace(@TempDir Path dir) throws Exception {
        Files.createDirectories(dir.resolve("certs"));
        Files.copy(TestCertificates.shared().nodeKeyStore(), dir.resolve("certs/node.p12"));
        Files.copy(TestCertificates.shared().trustStore(), dir.resolve("certs/trust.p12"));
        Path copy = Files.copy(sample(), dir.resolve("application.conf"));

        NodeSettings settings = NodeSettingsReader.load(copy, Map.of(
                "WEIR_CLUSTER_KEY_STORE_PASSWORD", TestCertificates.PASSWORD,
                "WEIR_CLUSTER_TRUST_STORE_PASSWORD", TestCertificates.PASSWORD));

        assertEquals(NodeRole.WORKER, settings.role());
        assertEquals(List.of("127.0.0.1:25520"), settings.seedNodes());
        assertEquals(Transport.TLS_TCP, settings.transport());
        assertEquals(dir.resolve("certs/node.p12"), settings.tls().keyStore());
        assertEquals(TestCertificates.PASSWORD, settings.tls().keyPassword(), "defaults to the key store's");
        assertEquals(FailureDetection.tuned(), settings.failureDetection());
        assertEquals("INFO", settings.pekko().getString("pekko.loglevel"));
    }

    @Test
    void theSampleDocumentsEveryKeyWithItsDefaultValue() {
        Map<String, Object> documented = leaves(ConfigFactory.parseFile(sample().toFile(),
                ConfigParseOptions.defaults().setAllowMissing(false)).resolve().getConfig("weir.cluster"));
        Map<String, Object> defaults = leaves(ConfigFactory.defaultReference().getConfig("weir.cluster"));

        assertEquals(defaults.keySet(), documented.keySet().stream()
                        .filter(key -> !key.endsWith("password")).collect(Collectors.toSet()),
                "application.conf and reference.conf name the same weir.cluster keys");
        defaults.forEach((key, value) -> {
            if (!SAMPLE_VALUES.contains(key)) {
                assertEquals(value, documented.get(key), "application.conf shows the default of weir.cluster." + key);
            }
        });
    }

    private static Map<String, Object> leaves(Config config) {
        Map<String, Object> leaves = new TreeMap<>();
        for (Map.Entry<String, ConfigValue> e : config.entrySet()) {
            leaves.put(e.getKey(), e.getValue().unwrapped());
        }
        return leaves;
    }
}
