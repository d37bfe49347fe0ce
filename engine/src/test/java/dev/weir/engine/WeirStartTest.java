package dev.weir.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.util.List;
import java.util.Map;
import org.apache.pekko.actor.ExtendedActorSystem;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.serialization.Serialization;
import org.apache.pekko.serialization.SerializationExtension;
import org.apache.pekko.serialization.SerializationExtension$;
import org.apache.pekko.stream.SystemMaterializer$;
import org.junit.jupiter.api.Test;

/** The engine's own actor system starts without building what a local run never uses. */
class WeirStartTest {

    @Test
    void serializationAndTheStreamMaterializerAreCreatedOnFirstUseNotAtStart() {
        try (Weir weir = Weir.start()) {
            ExtendedActorSystem classic = (ExtendedActorSystem) Adapter.toClassic(weir.system());
            assertFalse(classic.hasExtension(SerializationExtension$.MODULE$), "serialization built at start");
            assertFalse(classic.hasExtension(SystemMaterializer$.MODULE$), "materializer built at start");

            Serialization serialization = SerializationExtension.get(classic);
            byte[] bytes = serialization.serialize("weir").get();
            assertEquals("weir", serialization.deserialize(bytes, String.class).get());
            assertTrue(classic.hasExtension(SerializationExtension$.MODULE$));
        }
    }

    @Test
    void otherLibraryExtensionsStayInTheirOrder() {
        Config config = ConfigFactory.parseMap(Map.of("pekko.library-extensions", List.of("a.First$",
                "org.apache.pekko.serialization.SerializationExtension$", "b.Second$",
                "org.apache.pekko.stream.SystemMaterializer$")));
        assertEquals(List.of("a.First$", "b.Second$"), Weir.localConfig(config).getStringList("pekko.library-extensions"));

        Config without = ConfigFactory.parseMap(Map.of("pekko.library-extensions", List.of("a.First$")));
        assertSame(without, Weir.localConfig(without));
    }

    @Test
    void closingWithArrowMemoryStillHeldSaysWhatWasNotClosed() {
        Weir weir = Weir.start();
        org.apache.arrow.memory.ArrowBuf kept = weir.allocator().buffer(64); // as a table read from a Result
        IllegalStateException leaked = org.junit.jupiter.api.Assertions.assertThrows(IllegalStateException.class,
                weir::close);
        assertTrue(leaked.getMessage().startsWith("Weir.close(): 64 bytes of Arrow memory are still held: a Result,"
                + " or an ArrowTable or ArrowReader read from one"), leaked.getMessage());
        assertTrue(leaked.getMessage().contains("Memory was leaked"), "Arrow's own account follows: "
                + leaked.getMessage());
        // the closed root takes no release any more: the 64 bytes go with the test's JVM
        assertEquals(64, kept.capacity());
    }
}
