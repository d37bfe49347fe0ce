package dev.weir.engine;

import java.util.Objects;

/**
 * One stage of a {@link Flow}: a schema in the table store that commits atomically.
 *
 * @param name   unique in the flow
 * @param parent the enclosing stage, or null for a top-level stage
 */
public record StageDef(String name, String parent) {

    public StageDef {
        Objects.requireNonNull(name, "name is null");
    }
}
