package dev.weir.cluster;

import dev.weir.cluster.channel.ArrowChannel;
import dev.weir.cluster.channel.TableHandle;
import dev.weir.engine.data.ArrowTable;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * One chunk attempt's rows of its inlined inputs on the coordinator, from the moment the run hands them to
 * the {@link ClusterPlacement} until the attempt ends: held here while the chunk waits for a worker, then
 * offered on the side channel, which owns them from then on (see {@link ArrowChannel}). Whoever ends the
 * attempt first frees them, once: the run dropping it ({@link dev.weir.engine.placement.ChunkCall#cancel},
 * {@code interrupt}), on the run's own thread, so that they are freed (or, for a transfer under way, owned
 * by the channel) before the run hears that the attempt has ended and closes its memory; or the
 * {@link ChunkDispatcher}, when a worker reports the end, the worker is lost, or the placement closes.
 *
 * <p>Thread-safe: the run's actors and the dispatcher call it at once. Its methods take this object's
 * monitor only for what they do themselves (closing tables, offering on and withdrawing from the channel,
 * none of which blocks).
 */
final class InlineRows {

    private Map<String, ArrowTable> rows;
    private final List<String> transfers = new ArrayList<>();
    private final boolean carried;
    private boolean ended;

    /** @param rows the chunk's own rows of each inlined input, by input name; owned by this from now on */
    InlineRows(Map<String, ArrowTable> rows) {
        this.rows = Map.copyOf(rows);
        this.carried = !rows.isEmpty();
    }

    /** Rows of a chunk without inlined inputs. */
    static InlineRows none() {
        return new InlineRows(Map.of());
    }

    /** Whether the chunk has inlined inputs (its rows then go to the worker that runs it). */
    boolean carried() {
        return carried;
    }

    /** Whether the attempt has ended: it must not go to a worker. */
    synchronized boolean ended() {
        return ended;
    }

    /**
     * Offers the rows on {@code channel} for the worker that runs the attempt, and returns where the worker
     * pulls each; null when the attempt has ended meanwhile. Once: the rows belong to the channel from now
     * on. Throws when an offer fails, having ended the attempt (the rows offered are withdrawn, the others
     * freed).
     *
     * @param channel the coordinator's side channel; null when it has none, which fails a chunk with rows
     */
    synchronized List<Worker.InlineInput> offer(ArrowChannel channel) {
        if (ended) {
            return null;
        }
        List<Worker.InlineInput> handles = new ArrayList<>();
        if (rows.isEmpty()) {
            return handles;
        }
        List<Map.Entry<String, ArrowTable>> pending = new ArrayList<>(rows.entrySet());
        rows = Map.of();
        try {
            if (channel == null) {
                throw new IllegalStateException("this coordinator has no Arrow side channel to send inlined rows");
            }
            while (!pending.isEmpty()) {
                Map.Entry<String, ArrowTable> input = pending.remove(0); // the channel owns it even when offer throws
                TableHandle handle = channel.offer(input.getValue());
                transfers.add(handle.transfer());
                handles.add(new Worker.InlineInput(input.getKey(), handle));
            }
            return handles;
        } catch (RuntimeException | Error e) {
            pending.forEach(input -> input.getValue().close());
            end(channel);
            throw e;
        }
    }

    /**
     * The attempt has ended: frees the rows not offered and withdraws the offers (freeing those not pulled,
     * cutting off a transfer under way). Idempotent; a no-op for offers the worker has pulled already.
     */
    synchronized void end(ArrowChannel channel) {
        if (ended) {
            return;
        }
        ended = true;
        Map<String, ArrowTable> held = rows;
        rows = Map.of();
        try {
            held.values().forEach(ArrowTable::close);
        } finally {
            if (channel != null) {
                transfers.forEach(channel::withdraw);
            }
        }
    }
}
