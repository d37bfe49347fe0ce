package dev.weir.cluster.node;

import java.nio.file.Path;
import java.util.List;
import java.util.Objects;

/**
 * A node's key store (its own certificate and private key) and trust store (the cluster's CA), for
 * Artery's {@code tls-tcp} with mutual authentication. The passwords never reach a log line or a
 * message: {@link #toString()} masks them, and they are handed to Pekko's TLS engine directly rather
 * than through the actor system's configuration (which {@code log-config-on-start} would print).
 */
public record TlsSettings(Path keyStore, String keyStorePassword, String keyPassword, Path trustStore,
                          String trustStorePassword, String protocol, List<String> enabledAlgorithms,
                          boolean hostnameVerification) {

    public TlsSettings {
        Objects.requireNonNull(keyStore, "keyStore is null");
        Objects.requireNonNull(keyStorePassword, "keyStorePassword is null");
        Objects.requireNonNull(keyPassword, "keyPassword is null");
        Objects.requireNonNull(trustStore, "trustStore is null");
        Objects.requireNonNull(trustStorePassword, "trustStorePassword is null");
        Objects.requireNonNull(protocol, "protocol is null");
        enabledAlgorithms = List.copyOf(enabledAlgorithms);
    }

    @Override
    public String toString() {
        return "TlsSettings[keyStore=" + keyStore + ", keyStorePassword=***, keyPassword=***, trustStore="
                + trustStore + ", trustStorePassword=***, protocol=" + protocol + ", enabledAlgorithms="
                + enabledAlgorithms + ", hostnameVerification=" + hostnameVerification + "]";
    }
}
