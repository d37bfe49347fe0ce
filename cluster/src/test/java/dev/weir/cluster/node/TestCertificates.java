package dev.weir.cluster.node;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Certificates for tests, made at run time with the JDK's {@code keytool}: the cluster's CA and a node
 * certificate it signed (key store {@code node.p12}, trust store {@code trust.p12}), and a rogue node
 * whose certificate another CA signed ({@code rogue.p12}; its trust store {@code rogue-trust.p12} trusts
 * both CAs, so only the cluster's side can refuse it). All stores share {@link #PASSWORD}. Made once into
 * {@code target/test-certificates} and reused for a day.
 */
public final class TestCertificates {

    /** A distinctive password, so that tests can assert it never reaches a log line or a message. */
    public static final String PASSWORD = "Wr-7q2Kx-secret-ZP9";

    private static final Duration REUSE = Duration.ofDays(1);

    private final Path dir;

    private TestCertificates(Path dir) {
        this.dir = dir;
    }

    /** The certificates under {@code target/test-certificates}, made if missing or older than a day. */
    public static synchronized TestCertificates shared() {
        Path dir = Path.of("target", "test-certificates").toAbsolutePath();
        Path done = dir.resolve("done");
        try {
            if (!Files.isRegularFile(done) || Files.getLastModifiedTime(done).toInstant()
                    .isBefore(Instant.now().minus(REUSE))) {
                make(dir);
                Files.writeString(done, "");
                Files.setLastModifiedTime(done, FileTime.from(Instant.now()));
            }
        } catch (IOException e) {
            throw new IllegalStateException("cannot make test certificates in " + dir, e);
        }
        return new TestCertificates(dir);
    }

    public Path nodeKeyStore() {
        return dir.resolve("node.p12");
    }

    public Path trustStore() {
        return dir.resolve("trust.p12");
    }

    public Path rogueKeyStore() {
        return dir.resolve("rogue.p12");
    }

    public Path rogueTrustStore() {
        return dir.resolve("rogue-trust.p12");
    }

    /** A cluster member's TLS settings. */
    public TlsSettings nodeTls() {
        return tls(nodeKeyStore(), trustStore());
    }

    /** TLS settings with a certificate from a CA the cluster does not trust. */
    public TlsSettings rogueTls() {
        return tls(rogueKeyStore(), rogueTrustStore());
    }

    private static TlsSettings tls(Path keyStore, Path trustStore) {
        return new TlsSettings(keyStore, PASSWORD, PASSWORD, trustStore, PASSWORD, "TLSv1.3",
                List.of("TLS_AES_256_GCM_SHA384", "TLS_AES_128_GCM_SHA256"), false);
    }

    private static void make(Path dir) throws IOException {
        Files.createDirectories(dir);
        try (var files = Files.list(dir)) {
            for (Path f : files.toList()) {
                Files.delete(f);
            }
        }
        List<List<String>> commands = new ArrayList<>();
        authority(commands, "cluster-ca", "CN=Weir test cluster CA");
        authority(commands, "other-ca", "CN=Some other CA");
        signedNode(commands, "node", "CN=weir-node", "cluster-ca");
        signedNode(commands, "rogue", "CN=weir-node", "other-ca");
        trust(commands, "trust.p12", "cluster-ca");
        trust(commands, "rogue-trust.p12", "other-ca", "cluster-ca");
        runKeytool(dir, commands);
    }

    private static void authority(List<List<String>> commands, String name, String dname) {
        commands.add(List.of("-genkeypair", "-alias", "ca", "-keyalg", "RSA", "-keysize", "2048", "-dname", dname,
                "-ext", "bc:c", "-validity", "30", "-keystore", name + ".p12", "-storetype", "PKCS12",
                "-keypass", PASSWORD));
        commands.add(List.of("-exportcert", "-alias", "ca", "-keystore", name + ".p12", "-rfc", "-file",
                name + ".pem"));
    }

    private static void signedNode(List<List<String>> commands, String name, String dname, String ca) {
        commands.add(List.of("-genkeypair", "-alias", "node", "-keyalg", "RSA", "-keysize", "2048", "-dname", dname,
                "-validity", "30", "-keystore", name + ".p12", "-storetype", "PKCS12", "-keypass", PASSWORD));
        commands.add(List.of("-certreq", "-alias", "node", "-keystore", name + ".p12", "-file", name + ".csr"));
        commands.add(List.of("-gencert", "-alias", "ca", "-keystore", ca + ".p12", "-infile", name + ".csr",
                "-outfile", name + ".pem", "-ext", "eku=serverAuth,clientAuth", "-validity", "30", "-rfc"));
        commands.add(List.of("-importcert", "-alias", "ca", "-keystore", name + ".p12", "-file", ca + ".pem",
                "-noprompt"));
        commands.add(List.of("-importcert", "-alias", "node", "-keystore", name + ".p12", "-file", name + ".pem"));
    }

    private static void trust(List<List<String>> commands, String store, String... cas) {
        for (String ca : cas) {
            commands.add(List.of("-importcert", "-alias", ca, "-keystore", store, "-storetype", "PKCS12",
                    "-file", ca + ".pem", "-noprompt"));
        }
    }

    /**
     * Runs the JDK's keytool for each command, all in one child JVM ({@link KeytoolBatch}): starting a JVM per
     * command costs seconds each on a loaded machine. PKCS12 keeps one password for the store and its keys.
     */
    private static void runKeytool(Path dir, List<List<String>> commands) throws IOException {
        Path script = dir.resolve("keytool-commands.txt");
        List<String> lines = new ArrayList<>();
        for (List<String> command : commands) {
            List<String> line = new ArrayList<>(command);
            line.addAll(List.of("-storepass", PASSWORD));
            lines.add(String.join("\t", line));
        }
        Files.write(script, lines);
        List<String> java = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--add-exports=java.base/sun.security.tools.keytool=ALL-UNNAMED",
                "-cp", System.getProperty("java.class.path"), KeytoolBatch.class.getName(), script.toString());
        try {
            Process p = new ProcessBuilder(java).directory(dir.toFile()).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes());
            if (!p.waitFor(120, TimeUnit.SECONDS) || p.exitValue() != 0) {
                p.destroyForcibly();
                throw new IllegalStateException("keytool failed making test certificates in " + dir + ": " + out);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while making test certificates", e);
        } finally {
            Files.deleteIfExists(script);
        }
    }
}
