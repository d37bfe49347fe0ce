package dev.weir.engine.combine;

/**
 * Maps the first task's outputs to the second task's arguments, inside a combined task:
 * {@code out -> Args.of(out.get("dfA")).and("right", out.get("dfB"))}. Called once per run of the
 * combined task, on the thread running it, between the two inner tasks. It only routes values: it may
 * not close them, and an Arrow value it does not pass on is freed when the combined task ends.
 *
 * <p>The stitch is code the cache cannot see: when it changes what reaches the second task, bump the
 * combined task's own {@code version(...)}.
 */
@FunctionalInterface
public interface Stitch {

    Args apply(Produced out) throws Exception;

    /**
     * The stitch used when none is given: the first task's one output becomes the second task's one
     * {@code takes(...)} input.
     */
    static Stitch single() {
        return out -> Args.of(out.only());
    }
}
