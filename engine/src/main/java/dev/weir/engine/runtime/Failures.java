package dev.weir.engine.runtime;

import dev.weir.engine.store.StoreException;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;

/** The failure behind the wrappers futures put around it, and whether a retry may cure it. */
final class Failures {

    private Failures() {
    }

    static Throwable unwrap(Throwable e) {
        Throwable t = e;
        while ((t instanceof CompletionException || t instanceof ExecutionException) && t.getCause() != null) {
            t = t.getCause();
        }
        return t;
    }

    /**
     * True when the first {@link StoreException} in {@code e}'s cause chain is transient. The chain is
     * walked because the store's failure reaches the engine wrapped: by the task failure that names the
     * task, by user code, by an {@code ArrowTable} or {@code Rows} reading a stream. The outermost store
     * exception decides, since a store that wraps another store failure has judged it again.
     */
    static boolean isTransient(Throwable e) {
        if (MemoryBudgets.isOutOfMemory(e)) {
            return false; // the same work would need the same memory again
        }
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof StoreException se) {
                return se.isTransient();
            }
            if (t instanceof dev.weir.engine.placement.RemoteChunkException remote) {
                return remote.isTransient();
            }
            if (t.getCause() == t) {
                break;
            }
        }
        return false;
    }

    /** The first line of {@code e}'s message, for a log line that must stay one line. */
    static String firstLine(Throwable e) {
        String message = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage().strip();
        int end = message.indexOf('\n');
        return end < 0 ? message : message.substring(0, end).strip();
    }
}
