package dev.weir.engine.stream;

import dev.weir.engine.data.ArrowTable;
import java.util.Iterator;
import java.util.function.Function;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.ipc.ArrowReader;

/**
 * What feeds a streaming run: a generator of Arrow batches. Each table it yields, whatever its size,
 * is one source batch (one batch id, one unit of {@code max-batches}); an infinite iterator runs until
 * {@code max-batches} or until the consumer stops reading.
 *
 * <p><b>Threads.</b> {@link #open} and the iterator's methods run on the blocking dispatcher, one call
 * at a time. <b>Ownership.</b> Each yielded table passes to the run. An iterator that is
 * {@link AutoCloseable} is closed when it is exhausted or the run ends.
 */
@FunctionalInterface
public interface BatchSource {

    /** Called once per run; tables are to be allocated from {@code allocator}. */
    Iterator<ArrowTable> open(BufferAllocator allocator) throws Exception;

    /** Each batch of an Arrow reader as one source batch; the reader is closed at the end of the run. */
    static BatchSource fromReader(Function<BufferAllocator, ArrowReader> opener) {
        return allocator -> new ReaderBatches(opener.apply(allocator), allocator);
    }
}
