package dev.weir.engine.runtime;

import dev.weir.engine.batch.Chunk;
import dev.weir.engine.batch.RowRouter;
import dev.weir.engine.data.ArrowTable;
import dev.weir.engine.store.ReadOptions;
import dev.weir.engine.store.StoreException;
import dev.weir.engine.store.TableLocation;
import dev.weir.engine.store.TableStore;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CancellationException;
import java.util.function.IntUnaryOperator;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.VectorUnloader;
import org.apache.arrow.vector.ipc.ArrowFileReader;
import org.apache.arrow.vector.ipc.ArrowFileWriter;
import org.apache.arrow.vector.ipc.ArrowReader;
import org.apache.arrow.vector.ipc.message.ArrowBlock;
import org.apache.arrow.vector.ipc.message.ArrowRecordBatch;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * The inputs of a batched task split once among its chunks by the hook's {@link RowRouter}, instead of
 * each chunk selecting its rows of the whole input (chunks × rows of work, and for an input in the store
 * one scan per chunk).
 *
 * <ul>
 *   <li>An inlined input held in memory is routed into a list of row numbers per chunk and batch (four
 *       bytes a row); a chunk copies out its rows by those numbers.
 *   <li>An input in the store is read in one scan (by the store's widest read, e.g. PostgreSQL's page
 *       ranges on several connections); {@link #SPLITTERS} threads of their own ({@link HandOver}) each
 *       take the next batch and copy each of its rows into a small buffer of its chunk while the reading
 *       thread decodes the next batch, and a full buffer is written as a record batch to one Arrow IPC file
 *       in {@code <workDir>/spill} that the chunks read back by their batches' positions. Memory holds at
 *       most two batches of the scan besides those being split, one per splitting thread, and the buffers
 *       (about {@link #BUFFERED_ROWS} rows in all, shared among the threads), whatever the size of the
 *       input; the file holds the input once. A chunk's rows keep their order within each batch of the
 *       scan, but batches split by different threads may interleave.
 * </ul>
 * A chunk that is retried reads the same rows again. Built on the blocking dispatcher, read by the chunks
 * on several threads at once; {@link #close()} deletes the file once every chunk has ended.
 */
final class ChunkRoutes implements AutoCloseable {

    /** About how many rows the buffers of a scan's chunks hold together before they are written out. */
    static final int BUFFERED_ROWS = 1 << 17;

    /**
     * How many threads split a scan's batches: a single thread copying every row of the input bounded the
     * scan while the store's reading connections waited for it (5M rows: 3.9 s of the scan's 5.7 s, on a
     * loaded machine), where the whole-table read of an unbatched task decodes on several threads.
     */
    static final int SPLITTERS = Math.max(2, Math.min(4, Runtime.getRuntime().availableProcessors()));

    private final Map<Integer, Integer> positions;
    private final Map<String, int[][][]> inMemory = new HashMap<>();
    private final Map<String, Spilled> spilled = new HashMap<>();

    /** An input in the store, routed to a file: its schema, and each chunk's record batches in the file. */
    private record Spilled(Path file, Schema schema, List<List<ArrowBlock>> blocks) {
    }

    ChunkRoutes(List<Chunk> chunks) {
        positions = new HashMap<>();
        for (int p = 0; p < chunks.size(); p++) {
            positions.put(chunks.get(p).index(), p);
        }
    }

    boolean routes(String input) {
        return inMemory.containsKey(input) || spilled.containsKey(input);
    }

    /**
     * Routes an inlined input: for each chunk position and batch of {@code table}, the numbers of the rows
     * that go to that chunk. Blocking: reads every row once.
     */
    void routeInMemory(String input, ArrowTable table, RowRouter router) {
        int chunks = positions.size();
        List<VectorSchemaRoot> batches = table.batches();
        int[][][] rows = new int[chunks][batches.size()][];
        for (int b = 0; b < batches.size(); b++) {
            checkInterrupted(input);
            VectorSchemaRoot batch = batches.get(b);
            int[] chunkOf = chunkOf(batch, router, chunks, input);
            int[] counts = new int[chunks];
            for (int p : chunkOf) {
                if (p >= 0) {
                    counts[p]++;
                }
            }
            for (int p = 0; p < chunks; p++) {
                rows[p][b] = new int[counts[p]];
            }
            int[] at = new int[chunks];
            for (int r = 0; r < chunkOf.length; r++) {
                int p = chunkOf[r];
                if (p >= 0) {
                    rows[p][b][at[p]++] = r;
                }
            }
        }
        inMemory.put(input, rows);
    }

    /**
     * Routes an input in the store: reads {@code source} once and writes each chunk's rows to a new file
     * in {@code dir}. Blocking; interrupted, it stops between batches and deletes the file.
     */
    void routeFromStore(String input, TableStore store, TableLocation source, RowRouter router, Path dir,
                        BufferAllocator allocator) {
        int chunks = positions.size();
        int bufferRows = Math.max(1_024, Math.min(ReadOptions.DEFAULT_BATCH_ROWS, BUFFERED_ROWS / (chunks * SPLITTERS)));
        Path file = SpillFiles.create(dir, "split input '" + input + "' among its chunks");
        boolean done = false;
        try (BufferAllocator routing = allocator.newChildAllocator("route-" + input, 0, Long.MAX_VALUE);
             ArrowReader reader = store.readArrow(source, routing, ReadOptions.ALL);
             FileChannel channel = FileChannel.open(file, StandardOpenOption.WRITE);
             VectorSchemaRoot empty = VectorSchemaRoot.create(reader.getVectorSchemaRoot().getSchema(), routing)) {
            VectorSchemaRoot scan = reader.getVectorSchemaRoot();
            Schema schema = scan.getSchema();
            List<Splitter> splitters = new ArrayList<>();
            SpillWriter writer = new SpillWriter(empty, channel, chunks);
            writer.start();
            for (int s = 0; s < SPLITTERS; s++) {
                splitters.add(new Splitter(input, schema, router, chunks, bufferRows, routing, writer));
            }
            HandOver handOver = new HandOver(input, splitters);
            try {
                while (reader.loadNextBatch()) {
                    checkInterrupted(input);
                    VectorSchemaRoot batch = VectorSchemaRoot.create(schema, routing);
                    for (int i = 0; i < scan.getFieldVectors().size(); i++) {
                        scan.getVector(i).makeTransferPair(batch.getVector(i)).transfer();
                    }
                    batch.setRowCount(scan.getRowCount());
                    handOver.put(batch);
                }
                handOver.finish();
                writer.end();
            } finally {
                handOver.stop();
            }
            spilled.put(input, new Spilled(file, schema, writer.blocks()));
            done = true;
        } catch (IOException e) {
            throw new StoreException("cannot split input '" + input + "' (" + store.sqlName(source) + ") among its "
                    + chunks + " chunks through " + file, e);
        } finally {
            if (!done) {
                deleteQuietly(file);
            }
        }
    }

    /**
     * The rows of routed input {@code input} that {@code chunk} reads, as a table the caller owns, from
     * {@code allocator}; always at least one batch, so that an empty chunk has its columns. Blocking.
     */
    ArrowTable rowsOf(String input, ArrowTable inline, Chunk chunk, BufferAllocator allocator) {
        int p = positions.get(chunk.index());
        int[][] rows = inMemory.get(input) == null ? null : inMemory.get(input)[p];
        if (rows != null) {
            return InlineChunks.select(inline, rows, allocator);
        }
        Spilled spill = spilled.get(input);
        List<VectorSchemaRoot> batches = new ArrayList<>();
        try {
            if (!spill.blocks().get(p).isEmpty()) {
                try (FileChannel channel = FileChannel.open(spill.file(), StandardOpenOption.READ);
                     ArrowFileReader reader = new ArrowFileReader(channel, allocator)) {
                    VectorSchemaRoot loaded = reader.getVectorSchemaRoot();
                    for (ArrowBlock block : spill.blocks().get(p)) {
                        reader.loadRecordBatch(block);
                        VectorSchemaRoot target = VectorSchemaRoot.create(spill.schema(), allocator);
                        batches.add(target);
                        for (int i = 0; i < loaded.getFieldVectors().size(); i++) {
                            loaded.getVector(i).makeTransferPair(target.getVector(i)).transfer();
                        }
                        target.setRowCount(loaded.getRowCount());
                    }
                }
            }
            if (batches.isEmpty()) {
                VectorSchemaRoot none = VectorSchemaRoot.create(spill.schema(), allocator);
                none.setRowCount(0);
                batches.add(none);
            }
            return ArrowTable.of(spill.schema(), batches);
        } catch (IOException | RuntimeException e) {
            batches.forEach(VectorSchemaRoot::close);
            if (e instanceof RuntimeException runtime) {
                throw runtime;
            }
            throw new UncheckedIOException("cannot read chunk " + chunk.index() + "'s rows of input '" + input
                    + "' from " + spill.file(), (IOException) e);
        }
    }

    /** Deletes the files of the inputs routed from the store; once every chunk has ended. */
    @Override
    public void close() {
        spilled.values().forEach(s -> deleteQuietly(s.file()));
    }

    private static int[] chunkOf(VectorSchemaRoot batch, RowRouter router, int chunks, String input) {
        IntUnaryOperator route = router.bind(batch);
        int[] chunkOf = new int[batch.getRowCount()];
        for (int r = 0; r < chunkOf.length; r++) {
            int p = route.applyAsInt(r);
            if (p < -1 || p >= chunks) {
                throw new IllegalStateException("the router of input '" + input + "' put row " + r + " in chunk position "
                        + p + ", but there are " + chunks + " chunks");
            }
            chunkOf[r] = p;
        }
        return chunkOf;
    }

    private static VectorSchemaRoot buffer(Schema schema, BufferAllocator allocator, int rows) {
        VectorSchemaRoot root = VectorSchemaRoot.create(schema, allocator);
        try {
            for (FieldVector v : root.getFieldVectors()) {
                v.setInitialCapacity(rows);
                v.allocateNew();
            }
            return root;
        } catch (RuntimeException | Error e) {
            root.close();
            throw e;
        }
    }

    private static void checkInterrupted(String input) {
        if (Thread.currentThread().isInterrupted()) {
            throw new CancellationException("interrupted while splitting input '" + input + "' among its chunks");
        }
    }

    private static void deleteQuietly(Path file) {
        try {
            Files.deleteIfExists(file);
        } catch (IOException e) {
            // a file left in <workDir>/spill is only disk space; the next task's files have other names
        }
    }

    /**
     * Copies each row of the scan's batches into its chunk's buffer and writes full buffers to the file.
     * Used by one thread of the {@link HandOver}'s; the file's writer is shared.
     */
    private static final class Splitter {
        private final String input;
        private final Schema schema;
        private final RowRouter router;
        private final int bufferRows;
        private final BufferAllocator allocator;
        private final SpillWriter writer;
        private final VectorSchemaRoot[] buffers;
        private final int[] filled;

        Splitter(String input, Schema schema, RowRouter router, int chunks, int bufferRows, BufferAllocator allocator,
                 SpillWriter writer) {
            this.input = input;
            this.schema = schema;
            this.router = router;
            this.bufferRows = bufferRows;
            this.allocator = allocator;
            this.writer = writer;
            this.buffers = new VectorSchemaRoot[chunks];
            this.filled = new int[chunks];
        }

        void add(VectorSchemaRoot batch) throws IOException {
            int chunks = buffers.length;
            int[] chunkOf = chunkOf(batch, router, chunks, input);
            int[] counts = new int[chunks];
            for (int p : chunkOf) {
                if (p >= 0) {
                    counts[p]++;
                    if (buffers[p] == null) {
                        buffers[p] = buffer(schema, allocator, bufferRows);
                    }
                }
            }
            ColumnScatter.copy(batch, chunkOf, buffers, filled, counts);
            for (int p = 0; p < chunks; p++) {
                filled[p] += counts[p];
                if (filled[p] >= bufferRows) {
                    writer.write(p, buffers[p], filled[p]);
                    filled[p] = 0;
                }
            }
        }

        /** Writes what the buffers hold. */
        void flush() throws IOException {
            for (int p = 0; p < buffers.length; p++) {
                if (filled[p] > 0) {
                    writer.write(p, buffers[p], filled[p]);
                    filled[p] = 0;
                }
            }
        }

        /** Frees the buffers; the writer is its caller's. */
        void close() {
            Arrays.stream(buffers).filter(b -> b != null).forEach(VectorSchemaRoot::close);
        }
    }

    /**
     * Hands the scan's batches from the reading thread to splitting threads of their own through a queue of
     * one, so that decoding the next batch overlaps splitting this one and the others. Every wait is
     * bounded: each side waits a second at a time and gives up when the other has failed or stopped, or
     * when the reading thread is interrupted (the task's timeout or cancel). A batch is owned by the queue
     * until a splitting thread takes it, and closed by whoever holds it last.
     */
    private static final class HandOver {
        private static final VectorSchemaRoot END = new VectorSchemaRoot(List.of(), List.of(), 0);
        private final java.util.concurrent.ArrayBlockingQueue<VectorSchemaRoot> queue =
                new java.util.concurrent.ArrayBlockingQueue<>(1);
        private final String input;
        private final List<Thread> threads = new ArrayList<>();
        private final java.util.concurrent.atomic.AtomicInteger finished = new java.util.concurrent.atomic.AtomicInteger();
        private volatile boolean stopped;
        private volatile Throwable failure;

        HandOver(String input, List<Splitter> splitters) {
            this.input = input;
            for (int i = 0; i < splitters.size(); i++) {
                Splitter splitter = splitters.get(i);
                Thread thread = new Thread(() -> split(splitter), "weir-split-" + input + "-" + (i + 1));
                thread.setDaemon(true);
                threads.add(thread);
            }
            threads.forEach(Thread::start);
        }

        private void split(Splitter splitter) {
            try {
                while (!stopped && failure == null) {
                    VectorSchemaRoot batch = queue.poll(1, java.util.concurrent.TimeUnit.SECONDS);
                    if (batch == END) {
                        splitter.flush();
                        finished.incrementAndGet();
                        return;
                    }
                    if (batch != null) {
                        try (batch) {
                            splitter.add(batch);
                        }
                    }
                }
            } catch (Throwable e) {
                if (failure == null) {
                    failure = e;
                }
            } finally {
                splitter.close();
            }
        }

        private boolean anyDead() {
            return threads.stream().anyMatch(t -> !t.isAlive());
        }

        /** Passes a batch on, waiting while one waits; the batch is the hand-over's from here on. */
        void put(VectorSchemaRoot batch) throws IOException {
            try {
                while (!queue.offer(batch, 1, java.util.concurrent.TimeUnit.SECONDS)) {
                    if (failure != null || anyDead()) {
                        batch.close();
                        throw failed();
                    }
                }
            } catch (InterruptedException e) {
                batch.close();
                Thread.currentThread().interrupt();
                throw new CancellationException("interrupted while splitting input '" + input + "' among its chunks");
            }
        }

        /** Waits until every batch is split and every thread has written what its buffers held. */
        void finish() throws IOException {
            try {
                // one end for each thread: a thread takes one and stops taking batches
                for (int i = 0; i < threads.size(); i++) {
                    while (!queue.offer(END, 1, java.util.concurrent.TimeUnit.SECONDS)) {
                        if (failure != null || threads.stream().noneMatch(Thread::isAlive)) {
                            throw failed();
                        }
                    }
                }
                for (Thread thread : threads) {
                    while (thread.isAlive()) {
                        thread.join(1_000);
                        checkInterrupted(input);
                    }
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new CancellationException("interrupted while splitting input '" + input + "' among its chunks");
            }
            if (finished.get() != threads.size()) {
                throw failed();
            }
        }

        private IOException failed() {
            Throwable cause = failure;
            if (cause instanceof RuntimeException runtime) {
                throw runtime;
            }
            if (cause instanceof Error error) {
                throw error;
            }
            return cause instanceof IOException io ? io : new IOException("a thread splitting input '" + input
                    + "' stopped", cause);
        }

        /**
         * Stops the splitting threads (at once when they are done) and frees the batches they did not take;
         * waits for them at most {@link Limits#GRACE} in all, so that the channel and allocator close after them.
         */
        void stop() {
            stopped = true;
            long deadline = System.nanoTime() + Limits.GRACE.toNanos();
            try {
                for (Thread thread : threads) {
                    long left = (deadline - System.nanoTime()) / 1_000_000;
                    if (left > 0) {
                        thread.join(left);
                    }
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            for (VectorSchemaRoot left = queue.poll(); left != null; left = queue.poll()) {
                if (left != END) {
                    left.close();
                }
            }
        }
    }

    /**
     * Writes chunks' buffers as record batches of the file, one at a time for every splitting thread, and
     * keeps each chunk's batches' positions.
     */
    private static final class SpillWriter extends ArrowFileWriter {
        private final List<List<ArrowBlock>> blocks = new ArrayList<>();

        SpillWriter(VectorSchemaRoot empty, FileChannel channel, int chunks) {
            super(empty, null, channel);
            for (int p = 0; p < chunks; p++) {
                blocks.add(new ArrayList<>());
            }
        }

        /** Writes chunk position {@code p}'s buffer as one record batch and empties the buffer for more rows. */
        synchronized void write(int p, VectorSchemaRoot buffer, int rows) throws IOException {
            blocks.get(p).add(write(buffer, rows));
        }

        synchronized List<List<ArrowBlock>> blocks() {
            return blocks.stream().map(List::copyOf).toList();
        }

        private ArrowBlock write(VectorSchemaRoot buffer, int rows) throws IOException {
            for (FieldVector v : buffer.getFieldVectors()) {
                v.setValueCount(rows);
            }
            buffer.setRowCount(rows);
            ArrowBlock block;
            try (ArrowRecordBatch batch = new VectorUnloader(buffer).getRecordBatch()) {
                block = writeRecordBatch(batch);
            }
            for (FieldVector v : buffer.getFieldVectors()) {
                v.reset();
            }
            buffer.setRowCount(0);
            return block;
        }
    }
}
