package dev.weir.engine.store;

import java.util.Objects;

/**
 * One table to copy inside the store (a cache hit carried forward into a stage's transaction).
 *
 * @param source the committed table
 * @param target the table to create
 * @param spec   the target's primary key and indexes
 */
public record TableCopy(TableLocation source, TableLocation target, TableSpec spec) {

    public TableCopy {
        Objects.requireNonNull(source, "source is null");
        Objects.requireNonNull(target, "target is null");
        Objects.requireNonNull(spec, "spec is null");
    }
}
