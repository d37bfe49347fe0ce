package dev.weir.engine.store;

/**
 * One slice of a table filled in slices by {@link TableStore#appendArrow}: a batched task's chunk of an
 * output. The table's append ledger holds each slice at most once.
 *
 * @param index   the slice's key in the ledger, e.g. the chunk index
 * @param attempt the attempt appending it (1 for the first), recorded in the ledger for messages
 */
public record TableSlice(int index, int attempt) {

    public TableSlice {
        if (index < 0) {
            throw new IllegalArgumentException("a slice index cannot be negative: " + index);
        }
        if (attempt < 1) {
            throw new IllegalArgumentException("a slice's attempt counts from 1, was " + attempt);
        }
    }
}
