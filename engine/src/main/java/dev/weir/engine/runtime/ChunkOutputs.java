package dev.weir.engine.runtime;

import dev.weir.engine.batch.Chunk;
import dev.weir.engine.data.ArrowTable;
import dev.weir.engine.store.AppendResult;
import dev.weir.engine.store.StoreException;
import dev.weir.engine.store.TableLocation;
import dev.weir.engine.store.TableSlice;
import dev.weir.engine.store.TableStore;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.ipc.ArrowReader;
import org.apache.arrow.vector.types.pojo.Schema;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The output tables of one batched task, filled chunk by chunk: each output is one table in the stage's
 * transaction schema, created empty from the first chunk that has rows of it, appended to by every
 * chunk (its chunk index the {@link TableSlice}) and sealed with its keys once every chunk is in. Every
 * row is written once: there are no chunk tables to assemble.
 *
 * <p><b>Exactly once.</b> {@link TableStore#appendArrow} writes a chunk's rows and its entry in the
 * table's append ledger in one transaction: a chunk retried after its append committed (its
 * acknowledgement lost, or a later output of the chunk failing) is found in the ledger and not appended
 * again, and a chunk whose append failed left no rows. <b>Visibility.</b> The tables live in the stage's
 * transaction schema, which readers of the committed stage never see; a failed task {@link #discard}s
 * them, so a retry of the task starts from nothing.
 *
 * <p>Thread-safe: chunks append in parallel on the blocking dispatcher; the first chunk with rows of an
 * output creates its table while the others wait for it.
 */
final class ChunkOutputs {

    private static final Logger LOG = LoggerFactory.getLogger(ChunkOutputs.class);

    private final TableStore store;
    private final Function<String, TableLocation> locate;
    private final String owner;
    private final Map<String, Output> outputs = new ConcurrentHashMap<>();
    /** True on a worker node: the run created the tables before granting the upload, so none is made here. */
    private final boolean madeByRun;

    /**
     * @param locate the table of a given name in the stage's transaction schema
     * @param owner  the task, for messages, e.g. {@code task 'score' of stage 'out'}
     */
    ChunkOutputs(TableStore store, Function<String, TableLocation> locate, String owner) {
        this(store, locate, owner, false);
    }

    /** @param madeByRun true for a chunk run on a worker node, whose run creates the tables it appends to */
    ChunkOutputs(TableStore store, Function<String, TableLocation> locate, String owner, boolean madeByRun) {
        this.store = store;
        this.locate = locate;
        this.owner = owner;
        this.madeByRun = madeByRun;
    }

    /**
     * Before a chunk computed on another node appends: creates the table of {@code output} from the chunk's
     * columns unless done (blocking), or, for a chunk without rows of it, remembers its columns as
     * {@link #append} does. Tables are created here, in the run, so that two nodes never race to create one.
     */
    void prepareRemote(String output, OutputShape shape, int chunk, Schema columns, long rows) {
        Output out = outputs.computeIfAbsent(output, o -> new Output(shape, locate.apply(shape.table())));
        if (rows == 0) {
            out.sawEmpty(chunk, columns);
        } else {
            out.create(columns);
        }
    }

    /** A chunk appended on another node put {@code rows} into {@code output}. */
    void appendedRemotely(String output, int chunk, long rows) {
        Output out = outputs.get(output);
        if (out == null) {
            throw new IllegalStateException("chunk " + chunk + " of " + owner + " appended to output '" + output
                    + "', which no chunk announced when it was computed");
        }
        out.rows.put(chunk, rows);
    }

    /** The rows {@code chunk} put in each output, by output name. */
    Map<String, Long> rowsOf(int chunk) {
        Map<String, Long> rows = new java.util.LinkedHashMap<>();
        outputs.forEach((name, out) -> {
            Long n = out.rows.get(chunk);
            if (n != null) {
                rows.put(name, n);
            }
        });
        return rows;
    }

    /**
     * Appends a chunk's rows of {@code output} (blocking). The data stays the caller's. The first chunk to
     * come names the output's table and gives its keys; the first with rows gives its columns. A chunk
     * without rows writes nothing.
     *
     * @return the rows of the chunk in the table
     */
    long append(String output, OutputShape shape, Chunk chunk, int attempt, ArrowTable data, BufferAllocator allocator) {
        Output out = outputs.computeIfAbsent(output, o -> new Output(shape, locate.apply(shape.table())));
        if (data.rowCount() == 0) {
            out.sawEmpty(chunk.index(), data.schema());
            out.rows.put(chunk.index(), 0L);
            return 0;
        }
        out.create(data.schema());
        AppendResult result;
        try (ArrowReader reader = data.reader(allocator)) {
            result = store.appendArrow(out.table, reader, new TableSlice(chunk.index(), attempt));
        } catch (java.io.IOException e) {
            throw new StoreException("cannot read the Arrow data of chunk " + chunk.index() + " of " + owner, e);
        }
        if (result.repeated()) {
            LOG.info("Chunk {} ({}) of {} was appended to {} by attempt {} already; attempt {} is not appended again",
                    chunk.index(), chunk.label(), owner, out.table, result.attempt(), attempt);
        }
        out.rows.put(chunk.index(), result.rows());
        return result.rows();
    }

    /**
     * Seals every output once all chunks are in: creates the table of an output no chunk had rows for
     * (with the columns of its lowest-numbered chunk), and adds each table's keys.
     *
     * @param names the task's outputs, in order
     */
    List<OutputSet.Output> seal(List<String> names) {
        List<OutputSet.Output> sealed = new ArrayList<>();
        for (String name : names) {
            Output out = outputs.get(name);
            if (out == null) {
                throw new IllegalStateException("no chunk of " + owner + " returned output '" + name + "'");
            }
            out.createIfNoChunkHadRows();
            store.sealTable(out.table, out.shape.spec());
            long rows = out.rows.values().stream().mapToLong(Long::longValue).sum();
            sealed.add(OutputSet.Output.table(name, out.shape.table(), rows, out.shape.spec()));
        }
        return sealed;
    }

    /** Drops the tables made so far (a failed task); blocking. */
    void discard() {
        for (Output out : outputs.values()) {
            if (out.created) {
                store.dropTable(out.table);
            }
        }
    }

    /** One output: its table, whether it has been created, and the rows each chunk put in it. */
    private final class Output {
        final OutputShape shape;
        final TableLocation table;
        final Map<Integer, Long> rows = new ConcurrentHashMap<>();
        volatile boolean created;
        private int emptyChunk = Integer.MAX_VALUE;
        private Schema emptySchema;

        Output(OutputShape shape, TableLocation table) {
            this.shape = shape;
            this.table = table;
        }

        /** Creates the table with {@code columns} unless done; the other chunks wait meanwhile. */
        void create(Schema columns) {
            if (created || madeByRun) {
                return;
            }
            synchronized (this) {
                if (!created) {
                    store.createTable(table, columns);
                    created = true;
                }
            }
        }

        /**
         * Remembers the columns of the lowest-numbered chunk without rows: an empty chunk of untyped rows
         * has no types to give, so only an output without any rows is created from it.
         */
        synchronized void sawEmpty(int chunk, Schema columns) {
            if (chunk < emptyChunk) {
                emptyChunk = chunk;
                emptySchema = columns;
            }
        }

        synchronized void createIfNoChunkHadRows() {
            if (!created) {
                create(emptySchema);
            }
        }
    }
}
