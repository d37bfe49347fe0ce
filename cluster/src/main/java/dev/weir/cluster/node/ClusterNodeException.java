package dev.weir.cluster.node;

/** A cluster node that cannot start, join or leave; the message names the node and what to change. */
public class ClusterNodeException extends RuntimeException {

    public ClusterNodeException(String message) {
        super(message);
    }

    public ClusterNodeException(String message, Throwable cause) {
        super(message, cause);
    }
}
