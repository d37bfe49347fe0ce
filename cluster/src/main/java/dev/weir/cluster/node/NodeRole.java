package dev.weir.cluster.node;

import java.util.Locale;

/** A node's role in the cluster, as Pekko's cluster role of the same (lower-case) name. */
public enum NodeRole {
    /** The process that runs the flow and hands chunks to workers; the Split Brain Resolver keeps its side. */
    COORDINATOR,
    /** A {@code weir node} process, or a worker embedded in a service: runs the chunks it is handed. */
    WORKER,
    /**
     * {@code weir cluster}: joins for a moment to read the membership and ask the workers what they run, then
     * leaves. Runs nothing; the Split Brain Resolver does not count it.
     */
    OBSERVER;

    /** The Pekko cluster role: {@code coordinator} or {@code worker}. */
    public String roleName() {
        return name().toLowerCase(Locale.ROOT);
    }
}
