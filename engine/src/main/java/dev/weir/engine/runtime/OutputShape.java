package dev.weir.engine.runtime;

import dev.weir.engine.store.TableSpec;
import java.util.Objects;

/**
 * What a batched task's output becomes besides its rows, as the first chunk to finish says (computed
 * or read from the chunk cache): the table's name and its primary key and indexes.
 */
record OutputShape(String table, TableSpec spec) {

    OutputShape {
        Objects.requireNonNull(table, "table is null");
        Objects.requireNonNull(spec, "spec is null");
    }
}
