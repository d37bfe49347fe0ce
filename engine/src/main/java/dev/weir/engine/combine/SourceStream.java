package dev.weir.engine.combine;

import dev.weir.engine.data.DelegatingArrowReader;
import java.util.Objects;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.ipc.ArrowReader;

/**
 * Makes a stream of Arrow batches that a source task hands to the next inner task of a combined task,
 * together with what the batches come from: closing it closes the reader, then the resources (result
 * set, statement, connection), in the order given. This is how a source streams out of another
 * database without landing the data anywhere:
 *
 * <pre>{@code
 * Connection c = DriverManager.getConnection(url);
 * Statement st = c.createStatement();
 * ResultSet rs = st.executeQuery("SELECT * FROM orders");
 * ArrowReader batches = (ArrowReader) rs.unwrap(DuckDBResultSet.class).arrowExportStream(ctx.allocator(), 65536);
 * return SourceStream.of(ctx.allocator(), batches, rs, st, c);
 * }</pre>
 *
 * The combined task owns it once the source returns it and closes it after the second task returns,
 * on the thread running the task. Not thread-safe, like any ArrowReader.
 */
public final class SourceStream {

    private SourceStream() {
    }

    /**
     * A stream over {@code reader} that closes it, then {@code resources} in order.
     *
     * @param allocator the allocator the reader's batches live in (the task's {@code ctx.allocator()})
     */
    public static ArrowReader of(BufferAllocator allocator, ArrowReader reader, AutoCloseable... resources) {
        Objects.requireNonNull(allocator, "allocator is null");
        Objects.requireNonNull(reader, "reader is null");
        return DelegatingArrowReader.owning(allocator, reader, resources);
    }
}
