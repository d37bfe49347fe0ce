package dev.weir.engine.stream;

import dev.weir.engine.data.ArrowTable;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntConsumer;
import java.util.function.LongUnaryOperator;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.VectorSchemaRoot;

/** Small Arrow tables of one {@code id} column for the streaming tests. */
final class TestBatches {

    private TestBatches() {
    }

    /** {@code count} rows holding {@code first, first + 1, ...}. */
    static ArrowTable ids(BufferAllocator allocator, long first, int count) {
        BigIntVector ids = new BigIntVector("id", allocator);
        ids.allocateNew(count);
        for (int i = 0; i < count; i++) {
            ids.set(i, first + i);
        }
        ids.setValueCount(count);
        return ArrowTable.of(VectorSchemaRoot.of(ids));
    }

    static List<Long> values(ArrowTable table) {
        List<Long> values = new ArrayList<>();
        for (VectorSchemaRoot root : table.batches()) {
            BigIntVector ids = (BigIntVector) root.getVector("id");
            for (int i = 0; i < root.getRowCount(); i++) {
                values.add(ids.get(i));
            }
        }
        return values;
    }

    /** A task that returns a new table with {@code f} applied to every id. */
    static BatchFunction map(LongUnaryOperator f) {
        return in -> {
            List<Long> values = values(in.table());
            BigIntVector out = new BigIntVector("id", in.allocator());
            out.allocateNew(values.size());
            for (int i = 0; i < values.size(); i++) {
                out.set(i, f.applyAsLong(values.get(i)));
            }
            out.setValueCount(values.size());
            return ArrowTable.of(VectorSchemaRoot.of(out));
        };
    }

    /** Batch {@code b} holds ids {@code b * rows ... b * rows + rows - 1}; {@code batches < 0}: never ends. */
    static BatchSource source(int batches, int rows, AtomicInteger pulled) {
        return allocator -> new Iterator<>() {
            private int next;

            @Override
            public boolean hasNext() {
                return batches < 0 || next < batches;
            }

            @Override
            public ArrowTable next() {
                if (!hasNext()) {
                    throw new NoSuchElementException();
                }
                pulled.incrementAndGet();
                return ids(allocator, (long) next++ * rows, rows);
            }
        };
    }

    static BatchSource source(int batches, int rows) {
        return source(batches, rows, new AtomicInteger());
    }

    /** {@code inner}, calling {@code beforeEach} with the pull's number (from 0) on the pulling thread before each batch. */
    static BatchSource onEachPull(BatchSource inner, IntConsumer beforeEach) {
        return allocator -> {
            Iterator<ArrowTable> it = inner.open(allocator);
            AtomicInteger pulls = new AtomicInteger();
            return new Iterator<>() {
                @Override
                public boolean hasNext() {
                    return it.hasNext();
                }

                @Override
                public ArrowTable next() {
                    beforeEach.accept(pulls.getAndIncrement());
                    return it.next();
                }
            };
        };
    }

    /** A task that passes its batch on and records, under task name and batch id, the thread it ran on. */
    static BatchFunction recordingThreads(Map<String, String> threads) {
        return in -> {
            threads.put(in.task() + in.batchId(), Thread.currentThread().getName());
            return in.table();
        };
    }
}
