package dev.weir.engine.runtime;

/**
 * A task or stage was to change state in a way its state machine does not allow: a bug in the engine.
 * The run fails with it, loudly, rather than going on with state nobody expects.
 */
final class IllegalTransitionException extends IllegalStateException {

    IllegalTransitionException(String where, Enum<?> from, Enum<?> to) {
        super(where + " cannot go from " + from + " to " + to + " (a bug in Weir's runtime; the run stops)");
    }
}
