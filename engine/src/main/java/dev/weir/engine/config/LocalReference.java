package dev.weir.engine.config;

import java.io.IOException;
import java.net.URL;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Enumeration;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * The class path as a local actor system sees it: the same classes and resources, but without the
 * {@code reference.conf} of Pekko's remoting, cluster and Jackson serialization modules and of Weir's cluster
 * module. Those files are more than half of the HOCON on the CLI's class path (it carries them for
 * {@code --cluster} and {@code weir node}), and a system whose provider is {@code local} never reads their
 * settings. A cluster node's system is built from its own class loader, with all of them.
 *
 * <p>A {@code reference.conf} is left out only when it lies in the same jar (or directory) as one of those
 * modules' classes and not in pekko-actor's: a merged ("fat") jar keeps its single, merged file.
 */
public final class LocalReference {

    /** A class of each module whose {@code reference.conf} a local system does without. */
    static final List<String> REMOTE_MODULE_CLASSES = List.of(
            "org/apache/pekko/remote/RemoteActorRefProvider.class",
            "org/apache/pekko/cluster/Cluster.class",
            "org/apache/pekko/cluster/typed/Cluster.class",
            "org/apache/pekko/cluster/pubsub/DistributedPubSub.class",
            "org/apache/pekko/cluster/ddata/DistributedData.class",
            "org/apache/pekko/coordination/lease/scaladsl/LeaseProvider.class",
            "org/apache/pekko/serialization/jackson/JacksonObjectMapperProvider.class",
            // binds its messages to jackson-cbor, which the Jackson module's reference.conf defines
            "dev/weir/cluster/ClusterMessage.class");
    static final String ACTOR_CLASS = "org/apache/pekko/actor/ActorSystem.class";
    static final String REFERENCE = "reference.conf";

    // Typesafe Config caches the reference configuration of the most recently used class loader only, so
    // every caller (WeirConfig's defaults, Weir.start's actor system) must get the same instance.
    private static volatile Filtered last;

    private LocalReference() {
    }

    /** {@code parent} without the remote modules' {@code reference.conf}; the same instance for the same parent. */
    public static ClassLoader loader(ClassLoader parent) {
        Objects.requireNonNull(parent, "parent is null");
        Filtered current = last;
        if (current != null && current.getParent() == parent) {
            return current;
        }
        synchronized (LocalReference.class) {
            if (last == null || last.getParent() != parent) {
                last = new Filtered(parent);
            }
            return last;
        }
    }

    private static final class Filtered extends ClassLoader {
        private volatile Set<String> excluded;

        Filtered(ClassLoader parent) {
            super("weir-local-reference", parent);
        }

        @Override
        public Enumeration<URL> getResources(String name) throws IOException {
            Enumeration<URL> all = getParent().getResources(name);
            if (!REFERENCE.equals(name)) {
                return all;
            }
            Set<String> skip = excluded();
            List<URL> kept = new ArrayList<>();
            while (all.hasMoreElements()) {
                URL url = all.nextElement();
                if (!skip.contains(container(url, REFERENCE))) {
                    kept.add(url);
                }
            }
            return Collections.enumeration(kept);
        }

        @Override
        public URL getResource(String name) {
            if (!REFERENCE.equals(name)) {
                return getParent().getResource(name);
            }
            try {
                Enumeration<URL> kept = getResources(name);
                return kept.hasMoreElements() ? kept.nextElement() : null;
            } catch (IOException e) {
                return null;
            }
        }

        private Set<String> excluded() {
            Set<String> result = excluded;
            if (result == null) {
                URL actor = getParent().getResource(ACTOR_CLASS);
                String actorContainer = actor == null ? null : container(actor, ACTOR_CLASS);
                result = new HashSet<>();
                for (String marker : REMOTE_MODULE_CLASSES) {
                    URL url = getParent().getResource(marker);
                    if (url != null) {
                        String container = container(url, marker);
                        if (!container.equals(actorContainer)) {
                            result.add(container);
                        }
                    }
                }
                excluded = result;
            }
            return result;
        }
    }

    /** The jar or directory URL that {@code url}, the resource {@code name}, was found in. */
    static String container(URL url, String name) {
        String text = url.toString();
        return text.endsWith(name) ? text.substring(0, text.length() - name.length()) : text;
    }
}
