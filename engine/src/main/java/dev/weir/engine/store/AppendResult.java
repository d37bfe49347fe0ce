package dev.weir.engine.store;

/**
 * What {@link TableStore#appendArrow} did with a slice.
 *
 * @param rows     the rows of the slice in the table: written now, or by the earlier append
 * @param repeated true when the ledger already held the slice, so nothing was written; the earlier
 *                 append was by attempt {@code attempt}
 * @param attempt  the attempt whose rows the table holds
 */
public record AppendResult(long rows, boolean repeated, int attempt) {

    public AppendResult {
        if (rows < 0) {
            throw new IllegalArgumentException("rows cannot be negative: " + rows);
        }
    }
}
