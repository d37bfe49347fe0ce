package dev.weir.engine.data;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.dictionary.Dictionary;
import org.apache.arrow.vector.ipc.ArrowReader;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * An {@link ArrowReader} that hands out another reader's batches and decides what closing means.
 *
 * <ul>
 *   <li>{@link #owning}: closing closes the delegate, then the JDBC resources the batches come from
 *       (result set, statement, connection), in that order. Used for readers handed to callers.
 *   <li>{@link #borrowing}: closing leaves the delegate open. Used when exporting a caller's reader
 *       through the C Data interface, whose release callback would otherwise close a reader the
 *       caller still owns.
 * </ul>
 * It also counts the rows it passed on. Not thread-safe, like any ArrowReader.
 */
public final class DelegatingArrowReader extends ArrowReader {

    private final ArrowReader delegate;
    private final boolean closeDelegate;
    private final List<AutoCloseable> resources;
    private long rows;
    private boolean closed;

    private DelegatingArrowReader(BufferAllocator allocator, ArrowReader delegate, boolean closeDelegate,
                                  List<AutoCloseable> resources) {
        super(allocator);
        this.delegate = delegate;
        this.closeDelegate = closeDelegate;
        this.resources = resources;
    }

    /** A reader that closes {@code delegate} and then {@code resources}, last given closed last. */
    public static DelegatingArrowReader owning(BufferAllocator allocator, ArrowReader delegate,
                                        AutoCloseable... resources) {
        return new DelegatingArrowReader(allocator, delegate, true, List.of(resources));
    }

    /** A reader over {@code delegate} that leaves it open when closed. */
    public static DelegatingArrowReader borrowing(BufferAllocator allocator, ArrowReader delegate) {
        return new DelegatingArrowReader(allocator, delegate, false, List.of());
    }

    /** The rows of every batch loaded so far. */
    public long rowsRead() {
        return rows;
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
        boolean loaded = delegate.loadNextBatch();
        if (loaded) {
            rows += delegate.getVectorSchemaRoot().getRowCount();
        }
        return loaded;
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
        if (closeDelegate) {
            try {
                delegate.close();
            } catch (Exception e) {
                failures.add(e);
            }
        }
        for (AutoCloseable resource : resources) {
            try {
                resource.close();
            } catch (Exception e) {
                failures.add(e);
            }
        }
        if (!failures.isEmpty()) {
            IOException failure = new IOException("closing a DuckDB result stream failed", failures.get(0));
            failures.stream().skip(1).forEach(failure::addSuppressed);
            throw failure;
        }
    }
}
