package dev.weir.engine;

/**
 * The run was cancelled ({@link RunHandle#cancel}, or a signal to {@code weir run}): its open stages
 * were rolled back, the last commit is what readers see, and the instance lock is free.
 */
public final class RunCancelledException extends WeirException {

    public RunCancelledException(String flow, String instance, String runId, String reason) {
        super("run " + runId + " of flow '" + flow + "' on instance '" + instance + "' was cancelled: " + reason);
    }
}
