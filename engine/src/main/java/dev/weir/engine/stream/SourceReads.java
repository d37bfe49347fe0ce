package dev.weir.engine.stream;

import dev.weir.engine.data.ArrowTable;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;

/** The blocking side of reading a {@link BatchSource}: run on the blocking dispatcher, never on the actor. */
final class SourceReads {

    /** What one trip to the source brings back; {@code exhausted}: the source has no more and is closed. */
    record Pull(List<ArrowTable> tables, boolean exhausted) {
    }

    private SourceReads() {
    }

    /**
     * Up to {@code wanted} batches from {@code it}; closes it when it is exhausted. A source that yields
     * {@code null} instead of a table is broken: that fails the pull (and the run) here, on the thread
     * that pulled, before the batch could reach a task. On any failure the batches of this pull are freed.
     */
    static Pull pull(Iterator<ArrowTable> it, long wanted) {
        List<ArrowTable> tables = new ArrayList<>();
        try {
            while (tables.size() < wanted) {
                if (!it.hasNext()) {
                    closeQuietly(it);
                    return new Pull(tables, true);
                }
                ArrowTable table = it.next();
                if (table == null) {
                    throw new IllegalStateException("the source yielded null instead of an ArrowTable");
                }
                tables.add(table);
            }
            return new Pull(tables, false);
        } catch (RuntimeException | Error e) {
            tables.forEach(ArrowTable::close);
            throw e;
        }
    }

    static void closeQuietly(Object resource) {
        if (resource instanceof AutoCloseable closeable) {
            try {
                closeable.close();
            } catch (Exception ignored) {
                // The source is done with; a failure to close it changes nothing the run reports.
            }
        }
    }
}
