package dev.weir.cluster;

/**
 * Marks a message that crosses the actor transport between cluster nodes. The cluster's
 * {@code reference.conf} binds it to Pekko's {@code jackson-cbor} serializer, and a node runs with
 * {@code pekko.actor.allow-java-serialization = off}: a message class that does not implement this
 * interface (and has no other binding) fails to send with {@code NotSerializableException} instead of
 * silently falling back to Java serialization.
 *
 * <p>Implementations are records that name things by id and carry plain values (strings, numbers,
 * lists, other such records, {@code ActorRef}s): never stores, Arrow vectors, lambdas, futures or
 * exceptions.
 */
public interface ClusterMessage {
}
