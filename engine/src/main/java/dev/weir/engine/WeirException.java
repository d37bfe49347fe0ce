package dev.weir.engine;

/** The root of Weir's own exceptions. Messages name where the problem is (flow, stage, task, store). */
public class WeirException extends RuntimeException {

    public WeirException(String message) {
        super(message);
    }

    public WeirException(String message, Throwable cause) {
        super(message, cause);
    }
}
