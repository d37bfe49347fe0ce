package dev.weir.cluster;

import java.util.List;

/**
 * A streaming call that ran on a worker node failed there: its task threw (the worker's exception class
 * and message, since exceptions do not travel), or every attempt was lost with its node.
 */
public final class RemoteCallException extends RuntimeException {

    private final String remoteClass;

    RemoteCallException(List<String> tasks, int stepsDone, long batchId, String remoteClass, String message) {
        super("task '" + tasks.get(Math.min(stepsDone, tasks.size() - 1)) + "' failed on batch " + batchId + ": "
                + remoteClass + ": " + message);
        this.remoteClass = remoteClass;
    }

    /** The class name of the exception on the worker, or {@code dev.weir.cluster.NodeLost}. */
    public String remoteClass() {
        return remoteClass;
    }
}
