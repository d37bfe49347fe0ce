/**
 * A cluster node: {@link dev.weir.cluster.node.NodeSettings} reads the {@code weir.cluster} block (the
 * repository's {@code application.conf} documents every key), and
 * {@link dev.weir.cluster.node.ClusterNode#start} starts a typed actor system with the caller's guardian
 * as a member of the cluster.
 *
 * <p>What a node gets without asking: Pekko's Split Brain Resolver ({@code static-quorum} on the role
 * {@code coordinator}, so the coordinator's side survives a split), the tuned failure detector of
 * {@link dev.weir.cluster.node.FailureDetection}, Artery {@code tls-tcp} with mutual authentication (plain
 * {@code tcp} only when configured, with a warning), no Java serialization and Jackson CBOR for every
 * {@link dev.weir.cluster.ClusterMessage}, and a coordinated shutdown that leaves the cluster gracefully on
 * SIGTERM and exits the JVM when the node is downed (unless {@code exit-jvm-when-down = off}).
 *
 * <p>For the worker half: register with the Receptionist from the guardian, and stop taking chunks in a
 * {@link dev.weir.cluster.node.ClusterNode#beforeLeave} task that completes when the chunks in flight are
 * done:
 * <pre>{@code
 * ClusterNode<Worker.Command> node = ClusterNode.start(settings, Worker.create(settings.slots()));
 * node.beforeLeave("finish-chunks", () -> AskPattern.ask(node.system(), Worker.Drain::new,
 *         node.settings().drainTimeout(), node.system().scheduler()));
 * node.whenUp().toCompletableFuture().get(30, TimeUnit.SECONDS);
 * }</pre>
 */
package dev.weir.cluster.node;
