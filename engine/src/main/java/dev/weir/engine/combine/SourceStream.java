package dev.weir.engine.combine;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.dictionary.Dictionary;
import org.apache.arrow.vector.ipc.ArrowReader;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * A stream of Arrow batches that a source task hands to the next inner task of a combined task,
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
public final class SourceStream extends ArrowReader {

    private final ArrowReader delegate;
    private final List<AutoCloseable> resources;
    private boolean closed;

    private SourceStream(BufferAllocator allocator, ArrowReader delegate, List<AutoCloseable> resources) {
        super(allocator);
        this.delegate = delegate;
        this.resources = resources;
    }

    /**
     * A stream over {@code reader} that closes it, then {@code resources} in order.
     *
     * @param allocator the allocator the reader's batches live in (the task's {@code ctx.allocator()})
     */
    public static SourceStream of(BufferAllocator allocator, ArrowReader reader, AutoCloseable... resources) {
        Objects.requireNonNull(allocator, "allocator is null");
        Objects.requireNonNull(reader, "reader is null");
        return new SourceStream(allocator, reader, List.of(resources));
    }

    @Override
    public VectorSchemaRoot getVectorSchemaRoot() throws IOException {
        return delegate.getVectorSchemaRoot();
    }

    @Override
    public Map<Long, Dictionary> getDictionaryVectors() throws IOException {
        return delegate.getDictionaryVectors();
    }

    @Override
    public Dictionary lookup(long id) {
        return delegate.lookup(id);
    }

    @Override
    public Set<Long> getDictionaryIds() {
        return delegate.getDictionaryIds();
    }

    @Override
    public boolean loadNextBatch() throws IOException {
        return delegate.loadNextBatch();
    }

    @Override
    public long bytesRead() {
        return delegate.bytesRead();
    }

    @Override
    protected Schema readSchema() throws IOException {
        return delegate.getVectorSchemaRoot().getSchema();
    }

    @Override
    protected void closeReadSource() throws IOException {
        if (closed) {
            return;
        }
        closed = true;
        List<Exception> failures = new ArrayList<>();
        try {
            delegate.close();
        } catch (Exception e) {
            failures.add(e);
        }
        for (AutoCloseable resource : resources) {
            try {
                resource.close();
            } catch (Exception e) {
                failures.add(e);
            }
        }
        if (!failures.isEmpty()) {
            IOException failure = new IOException("closing a source stream failed", failures.get(0));
            failures.stream().skip(1).forEach(failure::addSuppressed);
            throw failure;
        }
    }
}
