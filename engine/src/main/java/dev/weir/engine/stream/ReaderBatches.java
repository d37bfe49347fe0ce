package dev.weir.engine.stream;

import dev.weir.engine.data.ArrowTable;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Iterator;
import java.util.NoSuchElementException;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.ipc.ArrowReader;

/** Moves each batch out of a reader into a table of its own, without copying the data. */
final class ReaderBatches implements Iterator<ArrowTable>, AutoCloseable {
    private final ArrowReader reader;
    private final BufferAllocator allocator;
    private Boolean loaded;

    ReaderBatches(ArrowReader reader, BufferAllocator allocator) {
        this.reader = reader;
        this.allocator = allocator;
    }

    @Override
    public boolean hasNext() {
        if (loaded == null) {
            try {
                loaded = reader.loadNextBatch();
            } catch (IOException e) {
                throw new UncheckedIOException("the source's Arrow reader failed: " + e.getMessage(), e);
            }
        }
        return loaded;
    }

    @Override
    public ArrowTable next() {
        if (!hasNext()) {
            throw new NoSuchElementException("the source's Arrow reader is exhausted");
        }
        loaded = null;
        try {
            VectorSchemaRoot source = reader.getVectorSchemaRoot();
            VectorSchemaRoot target = VectorSchemaRoot.create(source.getSchema(), allocator);
            for (int i = 0; i < source.getFieldVectors().size(); i++) {
                source.getVector(i).makeTransferPair(target.getVector(i)).transfer();
            }
            target.setRowCount(source.getRowCount());
            return ArrowTable.of(target);
        } catch (IOException e) {
            throw new UncheckedIOException("the source's Arrow reader failed: " + e.getMessage(), e);
        }
    }

    @Override
    public void close() throws IOException {
        reader.close();
    }
}
