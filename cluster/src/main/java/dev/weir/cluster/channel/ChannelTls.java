package dev.weir.cluster.channel;

import dev.weir.cluster.node.TlsSettings;
import java.io.IOException;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.SecureRandom;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/** The side channel's TLS context, from the same key and trust stores as the node's Artery transport. */
final class ChannelTls {

    private ChannelTls() {
    }

    static SSLContext context(TlsSettings tls) throws IOException, GeneralSecurityException {
        KeyStore keys = load(tls.keyStore(), tls.keyStorePassword(), "key store");
        KeyManagerFactory keyManagers = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        keyManagers.init(keys, tls.keyPassword().toCharArray());
        KeyStore trusted = load(tls.trustStore(), tls.trustStorePassword(), "trust store");
        TrustManagerFactory trustManagers = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        trustManagers.init(trusted);
        SSLContext context = SSLContext.getInstance(tls.protocol());
        context.init(keyManagers.getKeyManagers(), trustManagers.getTrustManagers(), new SecureRandom());
        return context;
    }

    private static KeyStore load(java.nio.file.Path file, String password, String what)
            throws IOException, GeneralSecurityException {
        try {
            return KeyStore.getInstance(file.toFile(), password.toCharArray());
        } catch (IOException | GeneralSecurityException e) {
            // the message names the file only: never the password
            throw new IOException("could not read the " + what + " " + file + ": " + e.getMessage(), e);
        }
    }
}
