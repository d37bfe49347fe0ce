package dev.weir.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.weir.cluster.channel.TableHandle;
import dev.weir.engine.placement.ChunkComputed;
import dev.weir.engine.placement.ChunkError;
import dev.weir.engine.placement.ChunkUploaded;
import dev.weir.engine.placement.ChunkWork;
import java.lang.reflect.RecordComponent;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.pekko.actor.NoSerializationVerificationNeeded;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.serialization.Serialization;
import org.apache.pekko.serialization.SerializationExtension;
import org.apache.pekko.serialization.Serializers;
import org.apache.pekko.serialization.jackson.JacksonCborSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Every message class of this module is either bound to Jackson CBOR ({@link ClusterMessage}) and
 * survives a round trip through Pekko's serialization, or marked as one that never leaves its JVM; none
 * is both, and none is neither (with Java serialization off, an unbound message would fail on the wire).
 */
class MessageBindingTest {

    private static ActorTestKit testKit;

    @BeforeAll
    static void start() {
        testKit = ActorTestKit.create(TestCluster.config("coordinator"));
    }

    @AfterAll
    static void stop() {
        testKit.shutdownTestKit();
    }

    @Test
    void everyMessageClassIsBoundOrStaysLocal() throws Exception {
        List<Class<?>> messages = messageClasses();
        assertTrue(messages.size() >= 10, () -> "found too few message classes to trust the scan: " + messages);
        for (Class<?> message : messages) {
            boolean wire = ClusterMessage.class.isAssignableFrom(message);
            boolean local = NoSerializationVerificationNeeded.class.isAssignableFrom(message);
            assertTrue(wire ^ local, message.getName() + " must be exactly one of ClusterMessage (crosses nodes)"
                    + " or NoSerializationVerificationNeeded (stays in its JVM)");
            assertTrue(message.isRecord(), message.getName() + " should be a record");
        }
    }

    @Test
    void everyClusterMessageRoundTripsThroughJacksonCbor() throws Exception {
        Serialization serialization = SerializationExtension.get(testKit.system());
        List<Class<?>> wire = messageClasses().stream().filter(ClusterMessage.class::isAssignableFrom).toList();
        assertFalse(wire.isEmpty());
        for (Class<?> type : wire) {
            Object message = sample(type);
            var serializer = serialization.findSerializerFor(message);
            assertTrue(serializer instanceof JacksonCborSerializer, type.getName() + " is serialized by " + serializer);
            byte[] bytes = serialization.serialize(message).get();
            Object back = serialization.deserialize(bytes, serializer.identifier(),
                    Serializers.manifestFor(serializer, message)).get();
            assertEquals(message, back, type.getName());
        }
    }

    /** The records of this module that implement an actor's {@code Command} interface. */
    private static List<Class<?>> messageClasses() throws Exception {
        Path root = Path.of(ClusterMessage.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        List<Class<?>> found = new ArrayList<>();
        try (Stream<Path> files = Files.walk(root)) {
            for (Path file : files.filter(f -> f.toString().endsWith(".class")).toList()) {
                String name = root.relativize(file).toString().replace('/', '.').replaceAll("\\.class$", "");
                Class<?> type = Class.forName(name, false, MessageBindingTest.class.getClassLoader());
                if (!type.isInterface() && Arrays.stream(type.getInterfaces()).anyMatch(i -> i.getSimpleName()
                        .equals("Command") || i == ClusterMessage.class)) {
                    found.add(type);
                }
            }
        }
        return found;
    }

    private static Object sample(Class<?> type) throws Exception {
        RecordComponent[] components = type.getRecordComponents();
        Object[] values = new Object[components.length];
        Class<?>[] types = new Class<?>[components.length];
        for (int i = 0; i < components.length; i++) {
            types[i] = components[i].getType();
            values[i] = types[i] == List.class ? list(components[i].getGenericType()) : value(types[i]);
        }
        var constructor = type.getDeclaredConstructor(types);
        constructor.setAccessible(true);
        return constructor.newInstance(values);
    }

    /** A list of two sample elements of the list's element type. */
    private static Object list(java.lang.reflect.Type type) {
        Class<?> element = (Class<?>) ((java.lang.reflect.ParameterizedType) type).getActualTypeArguments()[0];
        if (element == String.class) {
            return List.of("score", "flag");
        }
        return List.of(value(element), value(element));
    }

    private static Object value(Class<?> type) {
        if (type == String.class) {
            return "chunk-7";
        }
        if (type == long.class) {
            return 7_000_000_000L;
        }
        if (type == WorkerStatus.ChunkInFlight.class) {
            return new WorkerStatus.ChunkInFlight("run-1", "sales", "scored", "score", 7, 2,
                    WorkerStatus.Phase.APPENDING, 1_500);
        }
        if (type == WorkerStatus.CallInFlight.class) {
            return new WorkerStatus.CallInFlight("pekko://weir@127.0.0.1:1/stream-1/42", 2, "sales", "orders",
                    List.of("join", "round"), 17, 300);
        }
        if (type == Worker.InlineInput.class) {
            return new Worker.InlineInput("orders", new TableHandle("10.0.0.7", 40_123, "3f2a9c1e-18", 2_500, 40_000));
        }
        if (type == TableHandle.class) {
            return new TableHandle("10.0.0.7", 40_123, "3f2a9c1e-17", 5_000, 80_000);
        }
        if (type == int.class) {
            return 3;
        }
        if (type == boolean.class) {
            return true;
        }
        if (type == ActorRef.class) {
            return testKit.createTestProbe().getRef();
        }
        if (type == ChunkWork.class) {
            return new ChunkWork("run-1", "sales", "mini", false, "postgres", "scored", "score", 7, "bucket 7 of 8",
                    "\"customer_id\" % 8 = 7", 2, List.of(
                    new ChunkWork.Input("orders", ChunkWork.InputKind.TABLE, "raw", "orders", "orders", false,
                            "mini_raw", "orders", "\"customer_id\" % 8 = 7", null),
                    new ChunkWork.Input("limit", ChunkWork.InputKind.VALUE, "raw", "limit", "limit", true, null, null,
                            null, "{\"n\":5}"),
                    new ChunkWork.Input("weight", ChunkWork.InputKind.CONSTANT, null, null, null, false, null, null,
                            null, null),
                    new ChunkWork.Input("customers", ChunkWork.InputKind.INLINE, "raw", "customers", "customers",
                            false, null, "customers", "\"customer_id\" % 8 = 7", null)),
                    "mini_scored__tx", "pos", "full", "", "attrs");
        }
        if (type == ChunkComputed.class) {
            return new ChunkComputed(List.of(new ChunkComputed.Output("scores", "scores", "{\"fields\":[]}", 12,
                    List.of("order_id"), List.of(List.of("customer_id")))), null, false, "pekko://weir@127.0.0.1:1", 0.5);
        }
        if (type == ChunkUploaded.class) {
            return new ChunkUploaded(Map.of("scores", 12L), false, "pekko://weir@127.0.0.1:1", 0.25);
        }
        if (type == ChunkError.class) {
            return new ChunkError("dev.weir.engine.store.StoreException", "connection lost", true, "pekko://weir@h:1");
        }
        throw new AssertionError("no sample value of " + type.getName() + ": add one to this test");
    }
}
