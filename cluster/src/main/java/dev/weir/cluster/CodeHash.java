package dev.weir.cluster;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.Stream;

/**
 * The hash of the code a flow runs: SHA-256 of the jar its defining class came from, or, for a class in a
 * directory (a build's {@code target/classes}), of that class's file and its nested and lambda-holding
 * classes' files ({@code Name.class}, {@code Name$*.class}). Two nodes whose hashes differ would run
 * different code for one task: a worker whose hash is not the coordinator's is refused.
 */
public final class CodeHash {

    private CodeHash() {
    }

    public static String of(Class<?> definedBy) {
        try {
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            var source = definedBy.getProtectionDomain().getCodeSource();
            if (source == null || source.getLocation() == null) {
                throw new IllegalArgumentException(definedBy.getName() + " has no code source to hash");
            }
            Path location = Path.of(source.getLocation().toURI());
            if (Files.isRegularFile(location)) {
                update(digest, location);
            } else {
                String name = definedBy.getName();
                Path dir = location.resolve(name.substring(0, Math.max(0, name.lastIndexOf('.'))).replace('.', '/'));
                String simple = name.substring(name.lastIndexOf('.') + 1);
                List<Path> files;
                try (Stream<Path> listed = Files.list(dir)) {
                    files = listed.filter(p -> {
                        String file = p.getFileName().toString();
                        return file.equals(simple + ".class") || file.startsWith(simple + "$") && file.endsWith(".class");
                    }).sorted().toList();
                }
                for (Path file : files) {
                    digest.update(file.getFileName().toString().getBytes(java.nio.charset.StandardCharsets.UTF_8));
                    update(digest, file);
                }
            }
            return HexFormat.of().formatHex(digest.digest());
        } catch (NoSuchAlgorithmException | URISyntaxException e) {
            throw new IllegalStateException("cannot hash the code of " + definedBy.getName(), e);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the code of " + definedBy.getName(), e);
        }
    }

    private static void update(MessageDigest digest, Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            byte[] buffer = new byte[64 * 1024];
            for (int n; (n = in.read(buffer)) > 0; ) {
                digest.update(buffer, 0, n);
            }
        }
    }
}
