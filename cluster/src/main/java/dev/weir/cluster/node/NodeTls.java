package dev.weir.cluster.node;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigValueFactory;
import java.util.Map;
import org.apache.pekko.event.LogSource$;
import org.apache.pekko.event.Logging;
import org.apache.pekko.remote.artery.tcp.ConfigSSLEngineProvider;
import org.apache.pekko.remote.artery.tcp.SSLEngineProviderSetup;

/**
 * Hands the TLS settings to Artery's {@link ConfigSSLEngineProvider} through an actor-system setup, so
 * that the passwords live in a configuration object of their own rather than in the actor system's.
 * Mutual authentication is always on: a node accepts a connection only from a peer whose certificate its
 * trust store accepts, and presents its own.
 */
final class NodeTls {

    private NodeTls() {
    }

    static SSLEngineProviderSetup setup(TlsSettings tls, Config systemConfig) {
        Config engine = ConfigFactory.parseMap(Map.of(
                        "key-store", tls.keyStore().toAbsolutePath().toString(),
                        "key-store-password", tls.keyStorePassword(),
                        "key-password", tls.keyPassword(),
                        "trust-store", tls.trustStore().toAbsolutePath().toString(),
                        "trust-store-password", tls.trustStorePassword(),
                        "protocol", tls.protocol(),
                        "require-mutual-authentication", true,
                        "hostname-verification", tls.hostnameVerification()),
                        "weir.cluster.tls")
                .withValue("enabled-algorithms", ConfigValueFactory.fromIterable(tls.enabledAlgorithms()))
                .withFallback(systemConfig.getConfig("pekko.remote.artery.ssl.config-ssl-engine"));
        return SSLEngineProviderSetup.create(system -> new ConfigSSLEngineProvider(engine,
                Logging.withMarker(system, ConfigSSLEngineProvider.class.getName(),
                        LogSource$.MODULE$.fromString())));
    }
}
