package dev.weir.engine.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.io.IOException;
import java.io.OutputStream;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A local actor system's class path leaves out the reference.conf of the remoting and cluster modules only. */
class LocalReferenceTest {

    @TempDir
    Path dir;

    @Test
    void leavesOutTheReferenceConfOfJarsHoldingARemoteModuleAndKeepsTheRest() throws IOException {
        Path actor = jar("actor.jar", Map.of(LocalReference.ACTOR_CLASS, "", "reference.conf", "pekko.actor.provider = local"));
        Path remote = jar("remote.jar", Map.of("org/apache/pekko/remote/RemoteActorRefProvider.class", "",
                "reference.conf", "pekko.remote.artery.enabled = on"));
        Path cluster = jar("weir-cluster.jar", Map.of("dev/weir/cluster/ClusterMessage.class", "",
                "reference.conf", "weir.cluster.port = 25520"));
        Path engine = jar("engine.jar", Map.of("reference.conf", "weir.pipeline-defaults.x = 1", "other.txt", "o"));
        try (URLClassLoader parent = loader(actor, remote, cluster, engine)) {
            ClassLoader local = LocalReference.loader(parent);
            assertSame(local, LocalReference.loader(parent), "one loader per parent, so the parse is cached once");

            List<URL> kept = Collections.list(local.getResources("reference.conf"));
            assertEquals(2, kept.size(), kept.toString());
            Config config = ConfigFactory.defaultReferenceUnresolved(local);
            assertEquals("local", config.getString("pekko.actor.provider"));
            assertEquals(1, config.getInt("weir.pipeline-defaults.x"));
            assertFalse(config.hasPath("pekko.remote"), "remote's reference.conf parsed");
            assertFalse(config.hasPath("weir.cluster"), "weir-cluster's reference.conf parsed");

            // everything else passes through: other resources, and the whole class path for another loader
            assertNotNull(local.getResource("other.txt"));
            assertEquals(4, Collections.list(parent.getResources("reference.conf")).size());
            assertTrue(ConfigFactory.defaultReferenceUnresolved(parent).hasPath("pekko.remote.artery.enabled"));
        }
    }

    @Test
    void keepsAMergedJarsReferenceConfThatAlsoHoldsPekkoActor() throws IOException {
        Path fat = jar("fat.jar", Map.of(LocalReference.ACTOR_CLASS, "",
                "org/apache/pekko/remote/RemoteActorRefProvider.class", "",
                "reference.conf", "pekko.actor.provider = local\npekko.remote.artery.enabled = on"));
        try (URLClassLoader parent = loader(fat)) {
            ClassLoader local = LocalReference.loader(parent);
            assertEquals(1, Collections.list(local.getResources("reference.conf")).size());
            assertNotNull(local.getResource("reference.conf"));
        }
    }

    private URLClassLoader loader(Path... jars) throws IOException {
        URL[] urls = new URL[jars.length];
        for (int i = 0; i < jars.length; i++) {
            urls[i] = jars[i].toUri().toURL();
        }
        return new URLClassLoader(urls, null);
    }

    private Path jar(String name, Map<String, String> entries) throws IOException {
        Path file = dir.resolve(name);
        try (OutputStream out = Files.newOutputStream(file); JarOutputStream jar = new JarOutputStream(out)) {
            for (Map.Entry<String, String> entry : entries.entrySet()) {
                jar.putNextEntry(new JarEntry(entry.getKey()));
                jar.write(entry.getValue().getBytes(StandardCharsets.UTF_8));
                jar.closeEntry();
            }
        }
        return file;
    }
}
