package dev.weir.stores.postgres;

import dev.weir.engine.store.StoreException;
import java.io.IOException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.ipc.ArrowReader;
import org.apache.arrow.vector.types.pojo.Schema;
import org.postgresql.PGConnection;
import org.postgresql.copy.CopyOut;
import org.postgresql.copy.PGCopyInputStream;

/**
 * A large table read by several connections at once, each decoding ranges of the table's pages
 * ({@code ctid >= '(first,0)' AND ctid < '(end,0)'}, a TID range scan) with binary COPY on a thread of its own:
 * the server's scans, the transfer and the decoding of the ranges overlap. Every connection reads in the
 * snapshot of the connection that described the table (exported and imported), so the rows are those of
 * one moment, each once; batches come in the order they are decoded, not in the table's physical order.
 *
 * <p>The describing connection comes from the pool and reads ranges too; the others are opened for this
 * read and closed after it, outside the pool, so that a read never takes the connections the pool keeps
 * for other work. A connection that cannot join (it cannot connect, the snapshot is gone because the
 * others finished, or the table's lock is not granted within {@link #JOIN_LOCK_TIMEOUT_MS}, as when a
 * statement replacing the table waits for this read's lock) reads nothing and the others read its ranges.
 *
 * <p>Memory: each connection holds the batch it decodes and one more waits in the hand-over queue, so the
 * read holds at most one batch per connection plus two (the waiting one and the caller's); a connection
 * with a batch ready waits to hand it over.
 * Closing the reader stops every connection (ending a COPY still running), waits for their threads
 * ({@link #STOP_WAIT_MS} at most) and frees every batch not handed over.
 */
final class PgParallelCopyReader extends ArrowReader {

    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(PgParallelCopyReader.class);
    static final long JOIN_LOCK_TIMEOUT_MS = 2_000;
    static final long STOP_WAIT_MS = 30_000;
    private static final Object DONE = new Object();

    private final PgPool pool;
    private final Object store;
    private final PgCopyReader.TableRead table;
    private final Schema schema;
    private final int batchRows;
    private final BufferAllocator allocator;
    private final long[] rangeStarts;
    private final AtomicInteger nextRange = new AtomicInteger();
    private final AtomicInteger joined = new AtomicInteger();
    private final BlockingQueue<Object> handOver;
    private final List<Worker> workers = new ArrayList<>();
    private volatile boolean stopping;
    private int finished;
    private long bytesRead;

    PgParallelCopyReader(BufferAllocator allocator, PgPool pool, Object store, PgCopyReader.TableRead table,
                         Connection described, String snapshot, long oid, long pages, Schema schema, int batchRows) {
        super(allocator);
        this.allocator = allocator;
        this.pool = pool;
        this.store = store;
        this.table = table;
        this.schema = schema;
        this.batchRows = batchRows;
        int ranges = (int) Math.min(Integer.MAX_VALUE, (pages + table.rangePages() - 1) / table.rangePages());
        this.rangeStarts = new long[ranges];
        for (int r = 0; r < ranges; r++) {
            rangeStarts[r] = (long) r * table.rangePages();
        }
        int connections = Math.min(table.connections(), ranges);
        this.handOver = new ArrayBlockingQueue<>(1);
        if (!snapshot.matches("[0-9A-Fa-f-]+")) {
            throw new IllegalStateException("an unexpected snapshot id from the server: " + snapshot);
        }
        for (int w = 0; w < connections; w++) {
            workers.add(new Worker(w, w == 0 ? described : null, snapshot, oid));
        }
        for (Worker worker : workers) {
            worker.thread.start();
        }
    }

    /** The query of range {@code r}; the last range reaches to the end of the table, however it grew. */
    private String rangeSql(int r) {
        long end = r + 1 < rangeStarts.length ? rangeStarts[r + 1] : -1;
        return "COPY (" + table.rangeSql(rangeStarts[r], end) + ") TO STDOUT (FORMAT binary)";
    }

    @Override
    protected Schema readSchema() {
        return schema;
    }

    @Override
    public boolean loadNextBatch() throws IOException {
        prepareLoadNextBatch();
        VectorSchemaRoot root = getVectorSchemaRoot();
        while (finished < workers.size()) {
            Object next;
            try {
                next = handOver.poll(1, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new StoreException(store + ": interrupted while reading " + table.name(), e);
            }
            if (next == null) {
                if (workers.stream().noneMatch(w -> w.thread.isAlive()) && handOver.isEmpty()) {
                    throw StoreException.of(store + ": the connections reading " + table.name()
                            + " ended without finishing");
                }
            } else if (next == DONE) {
                finished++;
            } else if (next instanceof StoreException failure) {
                stopping = true;
                finished++;
                throw new StoreException(failure.getMessage(), null, failure.isTransient(), failure);
            } else {
                try (VectorSchemaRoot batch = (VectorSchemaRoot) next) {
                    List<FieldVector> from = batch.getFieldVectors();
                    List<FieldVector> to = root.getFieldVectors();
                    for (int c = 0; c < from.size(); c++) {
                        from.get(c).makeTransferPair(to.get(c)).transfer();
                        bytesRead += to.get(c).getBufferSize();
                    }
                    root.setRowCount(batch.getRowCount());
                }
                return true;
            }
        }
        root.setRowCount(0);
        return false;
    }

    /** How many connections beyond the pool's joined the read so far. */
    int joined() {
        return joined.get();
    }

    /** An estimate: the size of the Arrow buffers handed over so far. */
    @Override
    public long bytesRead() {
        return bytesRead;
    }

    /**
     * Stops every connection: ends the COPYs still running (a thread blocked reading one fails at once and
     * ends), waits for the threads, and frees the batches they decoded that were not handed over.
     */
    @Override
    protected void closeReadSource() {
        stopping = true;
        for (Worker worker : workers) {
            worker.abortCopy();
        }
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(STOP_WAIT_MS);
        for (Worker worker : workers) {
            while (worker.thread.isAlive() && System.nanoTime() < deadline) {
                drain();
                try {
                    worker.thread.join(50);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    break;
                }
            }
            if (worker.thread.isAlive()) {
                LOG.warn("{}: a connection reading {} did not stop within {} ms", store, table.name(), STOP_WAIT_MS);
            }
        }
        drain();
    }

    private void drain() {
        for (Object left = handOver.poll(); left != null; left = handOver.poll()) {
            if (left instanceof VectorSchemaRoot batch) {
                batch.close();
            }
        }
    }

    /** One connection and its thread: joins the read, then reads ranges until none is left. */
    private final class Worker implements Runnable {

        private final int index;
        private final boolean pooled;
        private final String snapshot;
        private final long oid;
        private final Thread thread;
        private volatile Connection connection;
        private volatile CopyOut copy;

        Worker(int index, Connection described, String snapshot, long oid) {
            this.index = index;
            this.pooled = described != null;
            this.connection = described;
            this.snapshot = snapshot;
            this.oid = oid;
            this.thread = new Thread(this, "weir-pg-read-" + index);
            this.thread.setDaemon(true);
        }

        @Override
        public void run() {
            VectorSchemaRoot batch = null;
            Throwable failure = null;
            String sql = null;
            try {
                if (!pooled && !join()) {
                    return;
                }
                PGConnection pg = connection.unwrap(PGConnection.class);
                for (int r = nextRange.getAndIncrement(); r < rangeStarts.length && !stopping;
                     r = nextRange.getAndIncrement()) {
                    sql = rangeSql(r);
                    copy = pg.getCopyAPI().copyOut(sql);
                    PgCopyDecoder decoder = new PgCopyDecoder(new PGCopyInputStream(copy));
                    while (!stopping) {
                        batch = VectorSchemaRoot.create(schema, allocator);
                        FieldVector[] vectors = batch.getFieldVectors().toArray(new FieldVector[0]);
                        int rows;
                        try {
                            rows = decoder.decode(vectors, batchRows);
                        } catch (IOException | RuntimeException e) {
                            throw PgErrors.failure(store, "cannot read " + decoder.position(vectors) + " of "
                                    + table.name(), sql, e);
                        }
                        if (rows == 0) {
                            batch.close();
                            batch = null;
                            break;
                        }
                        batch.setRowCount(rows);
                        if (!hand(batch)) {
                            batch = null;
                            return;
                        }
                        batch = null;
                        if (decoder.exhausted()) {
                            break;
                        }
                    }
                }
            } catch (Throwable e) {
                failure = e;
            } finally {
                if (batch != null) {
                    batch.close();
                }
                end(failure);
                if (failure != null && !stopping) {
                    hand(failure instanceof StoreException se ? se
                            : PgErrors.failure(store, "cannot read " + table.name(), sql, failure));
                } else {
                    hand(DONE);
                }
            }
        }

        /**
         * Opens this worker's connection and joins the read's snapshot, holding the table's lock; false
         * (with nothing left open) when it cannot, and then the other connections read its ranges.
         */
        private boolean join() {
            try {
                connection = pool.directConnection("read");
                connection.setAutoCommit(false);
                try (PreparedStatement s = connection.prepareStatement(
                        "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ;\n"
                                + "SET TRANSACTION SNAPSHOT '" + snapshot + "';\n"
                                + "SET LOCAL lock_timeout = " + JOIN_LOCK_TIMEOUT_MS + ";\n"
                                + "LOCK TABLE " + table.name() + " IN ACCESS SHARE MODE;\n"
                                + "SELECT pg_catalog.to_regclass(?)::oid")) {
                    s.setString(1, table.name());
                    s.execute();
                    while (s.getResultSet() == null) {
                        s.getMoreResults();
                    }
                    try (ResultSet rs = s.getResultSet()) {
                        if (!rs.next() || rs.getLong(1) != oid) {
                            throw new SQLException("the name " + table.name() + " no longer means the table being read");
                        }
                    }
                }
                joined.incrementAndGet();
                return !stopping;
            } catch (SQLException | RuntimeException e) {
                LOG.debug("{}: connection {} does not join the read of {}: {}", store, index, table.name(),
                        e.toString());
                Connection opened = connection;
                connection = null;
                if (opened != null) {
                    try {
                        opened.close();
                    } catch (SQLException closeFailed) {
                        LOG.debug("{}: closing a connection that did not join a read failed", store, closeFailed);
                    }
                }
                return false;
            }
        }

        /** Queues {@code item} for the caller; false when the read stops first (a batch is then freed). */
        private boolean hand(Object item) {
            try {
                while (!handOver.offer(item, 50, TimeUnit.MILLISECONDS)) {
                    if (stopping) {
                        if (item instanceof VectorSchemaRoot batch) {
                            batch.close();
                        }
                        return false;
                    }
                }
                return true;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                if (item instanceof VectorSchemaRoot batch) {
                    batch.close();
                }
                return false;
            }
        }

        /** From the closing thread: ends a COPY still running, which ends the blocked read of this thread. */
        void abortCopy() {
            Connection c = connection;
            CopyOut running = copy;
            if (c != null && running != null && running.isActive()) {
                if (pooled) {
                    pool.evict(c);
                }
                try {
                    c.unwrap(org.postgresql.core.BaseConnection.class).abort(Runnable::run);
                } catch (SQLException e) {
                    LOG.debug("{}: ending a connection reading {} failed", store, table.name(), e);
                }
            }
        }

        /** Ends this worker's transaction and connection, taking one left mid-COPY out of the pool. */
        private void end(Throwable failure) {
            Connection c = connection;
            if (c == null) {
                return;
            }
            if (pooled) {
                PgCopyReader.end(pool, copy, c, failure);
            } else {
                try {
                    if (copy != null && copy.isActive()) {
                        c.unwrap(org.postgresql.core.BaseConnection.class).abort(Runnable::run);
                    }
                    c.close();
                } catch (SQLException e) {
                    PgArrowReader.addSuppressed(failure, e);
                }
            }
        }
    }
}
