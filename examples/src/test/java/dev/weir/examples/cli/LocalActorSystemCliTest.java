package dev.weir.examples.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import dev.weir.engine.Weir;
import org.junit.jupiter.api.Test;

/**
 * The CLI carries Pekko's remoting and cluster modules (for {@code --cluster}, {@code weir node} and
 * {@code weir cluster}); a local run's actor system parses none of their settings.
 */
class LocalActorSystemCliTest {

    @Test
    void aLocalRunsActorSystemHasNoRemotingOrClusterSettingsLoaded() {
        Config everything = ConfigFactory.defaultReference(getClass().getClassLoader());
        assertTrue(everything.hasPath("pekko.remote.artery"), "pekko-remote is not on the CLI's class path");
        assertTrue(everything.hasPath("pekko.cluster"), "pekko-cluster is not on the CLI's class path");

        try (Weir weir = Weir.start()) {
            Config config = weir.system().settings().config();
            assertEquals("local", config.getString("pekko.actor.provider"));
            assertFalse(config.hasPath("pekko.remote"), "pekko-remote's reference.conf was loaded");
            assertFalse(config.hasPath("pekko.cluster"), "pekko-cluster's reference.conf was loaded");
            assertFalse(config.hasPath("weir.cluster"), "weir-cluster's reference.conf was loaded");
            assertFalse(config.hasPath("pekko.serialization.jackson"), "Jackson serialization's reference.conf was loaded");
            assertTrue(config.hasPath("pekko.stream.materializer"), "pekko-stream's reference.conf is missing");
            assertTrue(config.hasPath("weir.pipeline-defaults"), "Weir's reference.conf is missing");
        }
    }
}
