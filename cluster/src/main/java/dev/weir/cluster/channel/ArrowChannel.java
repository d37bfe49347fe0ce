package dev.weir.cluster.channel;

import dev.weir.cluster.node.NodeSettings;
import dev.weir.cluster.node.SideChannelSettings;
import dev.weir.cluster.node.TlsSettings;
import dev.weir.cluster.node.Transport;
import dev.weir.engine.data.ArrowTable;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSocket;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.VectorUnloader;
import org.apache.arrow.vector.ipc.ArrowStreamReader;
import org.apache.arrow.vector.ipc.ArrowStreamWriter;
import org.apache.arrow.vector.ipc.WriteChannel;
import org.apache.arrow.vector.ipc.message.ArrowRecordBatch;
import org.apache.arrow.vector.ipc.message.IpcOption;
import org.apache.arrow.vector.ipc.message.MessageSerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A node's side channel for Arrow data: tables cross nodes as Arrow IPC streams over a socket of their
 * own, never inside actor messages (Artery moves Arrow at a fraction of a plain stream's speed, see
 * BENCHMARKS.md). The sender {@link #offer offers} a table and sends the {@link TableHandle} in a
 * message; the receiver {@link #pull pulls} it, which streams the batches and then acknowledges.
 *
 * <p><b>Ownership.</b> An offered table belongs to the channel: it is freed when its receiver has
 * acknowledged it, when it is {@link #withdraw withdrawn} (a transfer of it under way is cut off), when the
 * transfer timeout passes unpulled, or when the channel closes — whichever comes first, and never while it
 * is being streamed. Its memory moves to the channel as it is offered: its buffers are transferred (no
 * copy) into an allocator of the channel's, a child of the root allocator the table came from, so that the
 * offerer's allocator (a run's, a task's) holds none of it from then on and can close at once, whenever
 * the transfer ends. That allocator exists while the channel holds tables from its root, and is checked
 * for leaks as it closes. A pulled table belongs to the caller of {@link #pull}.
 *
 * <p><b>Security.</b> With TLS settings the server is an {@code SSLServerSocket} that needs the peer's
 * certificate (mutual authentication, as Artery's {@code tls-tcp}), and pulls use the same key and trust
 * stores: a process without the cluster's certificate can neither pull nor serve. Plain TCP only where
 * the cluster's own transport is plain.
 *
 * <p><b>Bounds.</b> Every transfer, on either side, is cut off after the transfer timeout (the socket is
 * closed), and each read waits at most that long. Threads: one accept thread and one per transfer being
 * served, all daemons of this channel; pulls run on the caller's (blocking) thread.
 */
public final class ArrowChannel implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(ArrowChannel.class);
    private static final int MAGIC = 0x57_41_52_31; // "WAR1"
    private static final int FOUND = 1;
    private static final int UNKNOWN = 0;
    private static final int ACK = 6;
    /** Socket buffers large enough that a batch of megabytes does not wait on the TCP window. */
    private static final int SOCKET_BUFFER = 1 << 20;

    private final ServerSocket server;
    private final SSLContext tls;
    private final boolean hostnameVerification;
    private final String host;
    private final long timeoutMillis;
    private final ExecutorService threads;
    private final ScheduledExecutorService timer;
    private final Map<String, Offer> offers = new ConcurrentHashMap<>();
    /** By root allocator, the allocator holding the offered tables that came from it, while it holds any. */
    private final Map<BufferAllocator, Custody> custody = new java.util.HashMap<>(); // guarded by itself
    private final Set<Socket> open = ConcurrentHashMap.newKeySet();
    private final String prefix = UUID.randomUUID().toString().substring(0, 8) + "-";
    private final AtomicLong ids = new AtomicLong();
    private final AtomicLong bytesServed = new AtomicLong();
    private volatile boolean closed;

    private ArrowChannel(ServerSocket server, SSLContext tls, boolean hostnameVerification, String host,
                         Duration timeout) {
        this.server = server;
        this.tls = tls;
        this.hostnameVerification = hostnameVerification;
        this.host = host;
        this.timeoutMillis = Math.max(1, timeout.toMillis());
        this.threads = Executors.newCachedThreadPool(daemon("weir-arrow-channel-" + server.getLocalPort()));
        this.timer = Executors.newSingleThreadScheduledExecutor(daemon("weir-arrow-channel-timer"));
        threads.execute(this::acceptLoop);
    }

    /**
     * A channel for a cluster node: on the node's hostname and its {@code weir.cluster.side-channel} port and
     * transfer timeout, with TLS from its settings when its transport is {@code tls-tcp} and plain otherwise.
     *
     * @throws IllegalStateException naming {@code weir.cluster.side-channel.port} and the settings' origin when
     *                               the port cannot be listened on (in use, not this host's address)
     */
    public static ArrowChannel start(NodeSettings node) {
        SideChannelSettings side = node.sideChannel();
        try {
            return start(node.hostname(), side.port(), node.transport() == Transport.TLS_TCP ? node.tls() : null,
                    side.transferTimeout());
        } catch (IllegalStateException e) {
            throw new IllegalStateException(node.origin() + ": weir.cluster.side-channel.port: " + e.getMessage()
                    + (side.port() == 0 ? "" : " (choose another port, or 0 for any free one)"), e.getCause());
        }
    }

    /** A channel on {@code host}:{@code port}; {@code tls} null for plain TCP. */
    public static ArrowChannel start(String host, int port, TlsSettings tls, Duration timeout) {
        Objects.requireNonNull(host, "host is null");
        Objects.requireNonNull(timeout, "timeout is null");
        if (timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("the transfer timeout must be positive, was " + timeout);
        }
        try {
            SSLContext context = tls == null ? null : ChannelTls.context(tls);
            ServerSocket server;
            if (context == null) {
                server = new ServerSocket();
            } else {
                SSLServerSocket secure = (SSLServerSocket) context.getServerSocketFactory().createServerSocket();
                secure.setNeedClientAuth(true);
                secure.setEnabledProtocols(new String[] {tls.protocol()});
                secure.setEnabledCipherSuites(tls.enabledAlgorithms().toArray(String[]::new));
                server = secure;
            }
            server.setReuseAddress(true);
            server.bind(new InetSocketAddress(InetAddress.getByName(host), port), 64);
            return new ArrowChannel(server, context, tls != null && tls.hostnameVerification(), host, timeout);
        } catch (IOException | java.security.GeneralSecurityException e) {
            throw new IllegalStateException("could not open the Arrow side channel on " + host + ":" + port + ": "
                    + e.getMessage(), e);
        }
    }

    /** The port this channel listens on. */
    public int port() {
        return server.getLocalPort();
    }

    /** Whether transfers are TLS. */
    public boolean secure() {
        return tls != null;
    }

    /** Tables offered and not yet freed. */
    public int offered() {
        return offers.size();
    }

    /** Whether the transfer {@code transfer} is still offered (not yet freed). */
    public boolean offering(String transfer) {
        return offers.containsKey(transfer);
    }

    /** Bytes streamed to receivers since the channel started. */
    public long bytesServed() {
        return bytesServed.get();
    }

    /** Bytes of offered tables this channel holds now, in its own allocators. */
    public long heldBytes() {
        synchronized (custody) {
            return custody.values().stream().mapToLong(c -> c.allocator.getAllocatedMemory()).sum();
        }
    }

    /**
     * Offers {@code table} for one pull; the channel owns it from now on, also when this throws (see the
     * class comment), and its buffers move to the channel's allocator. The handle goes to the receiver in a
     * message. Any thread; does not block.
     */
    public TableHandle offer(ArrowTable table) {
        Objects.requireNonNull(table, "table is null");
        if (closed) {
            table.close();
            throw new IllegalStateException("the Arrow side channel on " + host + ":" + port() + " is closed");
        }
        String id = prefix + ids.incrementAndGet();
        Offer offer = take(id, table);
        offers.put(id, offer);
        try {
            if (closed) {
                throw new java.util.concurrent.RejectedExecutionException("closed");
            }
            offer.expiry = timer.schedule(() -> {
                if (offers.containsKey(id)) {
                    LOG.warn("Transfer {} of {} rows was not pulled within {} ms; freed", id, offer.rows,
                            timeoutMillis);
                    offer.release();
                }
            }, timeoutMillis, TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.RejectedExecutionException e) {
            offer.release(); // the channel closed meanwhile, after it freed what it offered
            throw new IllegalStateException("the Arrow side channel on " + host + ":" + port() + " is closed");
        }
        return new TableHandle(host, port(), id, offer.rows, offer.bytes);
    }

    /**
     * The offer is no longer wanted: frees it now, or, when a pull is streaming it, cuts that transfer off
     * (on this channel's thread) and frees it as soon as the transfer has ended. Any thread; does not block.
     */
    public void withdraw(String transfer) {
        Offer offer = offers.get(transfer);
        if (offer != null) {
            offer.release();
        }
    }

    /**
     * Pulls the table behind {@code handle} from its node into {@code into} and acknowledges it, so that
     * its sender frees it. Blocking, bounded by this channel's transfer timeout.
     *
     * @throws ChannelException when the transfer is unknown there (pulled already, timed out, withdrawn),
     *                          the peer cannot be reached or authenticated, or the stream breaks
     */
    public ArrowTable pull(TableHandle handle, BufferAllocator into) {
        Objects.requireNonNull(handle, "handle is null");
        Objects.requireNonNull(into, "into is null");
        Socket socket = null;
        ScheduledFuture<?> cutOff = null;
        try {
            socket = tls == null ? new Socket() : tls.getSocketFactory().createSocket();
            if (socket instanceof SSLSocket secure && hostnameVerification) {
                javax.net.ssl.SSLParameters parameters = secure.getSSLParameters();
                parameters.setEndpointIdentificationAlgorithm("HTTPS");
                secure.setSSLParameters(parameters);
            }
            Socket bound = socket;
            cutOff = timer.schedule(() -> closeQuietly(bound), timeoutMillis, TimeUnit.MILLISECONDS);
            socket.setReceiveBufferSize(SOCKET_BUFFER);
            socket.connect(new InetSocketAddress(handle.host(), handle.port()), (int) Math.min(timeoutMillis, 30_000));
            socket.setSoTimeout((int) Math.min(timeoutMillis, Integer.MAX_VALUE));
            socket.setTcpNoDelay(true);
            DataOutputStream out = new DataOutputStream(new BufferedOutputStream(socket.getOutputStream()));
            DataInputStream in = new DataInputStream(new BufferedInputStream(socket.getInputStream(), 1 << 16));
            out.writeInt(MAGIC);
            out.writeUTF(handle.transfer());
            out.flush();
            int status = in.read();
            if (status != FOUND) {
                throw new ChannelException("the node at " + handle.host() + ":" + handle.port() + " no longer offers "
                        + handle + " (pulled already, withdrawn, or not pulled within its timeout)", null);
            }
            ArrowTable table;
            try (ArrowStreamReader reader = new ArrowStreamReader(new StreamChannels.Reading(in), into)) {
                table = ArrowTable.readAll(reader, into);
            }
            try {
                out.writeByte(ACK);
                out.flush();
            } catch (IOException e) {
                table.close();
                throw e;
            }
            return table;
        } catch (IOException | RuntimeException e) {
            if (e instanceof ChannelException known) {
                throw known;
            }
            throw new ChannelException("could not pull " + handle + ": " + e, e);
        } finally {
            if (cutOff != null) {
                cutOff.cancel(false);
            }
            closeQuietly(socket);
        }
    }

    private void acceptLoop() {
        while (!closed) {
            Socket socket;
            try {
                socket = server.accept();
            } catch (IOException e) {
                if (!closed) {
                    LOG.warn("The Arrow side channel on port {} stopped accepting: {}", port(), e.toString());
                }
                return;
            }
            try {
                threads.execute(() -> serve(socket));
            } catch (java.util.concurrent.RejectedExecutionException e) {
                closeQuietly(socket); // closing
            }
        }
    }

    /** Streams one offered table to the peer on {@code socket}; never throws. */
    private void serve(Socket socket) {
        open.add(socket);
        ScheduledFuture<?> cutOff = timer.schedule(() -> closeQuietly(socket), timeoutMillis, TimeUnit.MILLISECONDS);
        Offer offer = null;
        boolean acknowledged = false;
        try {
            socket.setSoTimeout((int) Math.min(timeoutMillis, Integer.MAX_VALUE));
            socket.setTcpNoDelay(true);
            socket.setSendBufferSize(SOCKET_BUFFER);
            DataInputStream in = new DataInputStream(new BufferedInputStream(socket.getInputStream()));
            DataOutputStream out = new DataOutputStream(new BufferedOutputStream(socket.getOutputStream(), 1 << 16));
            if (in.readInt() != MAGIC) {
                LOG.warn("A connection from {} to the Arrow side channel did not speak its protocol; closed",
                        socket.getRemoteSocketAddress());
                return;
            }
            String id = in.readUTF();
            Offer found = offers.get(id);
            if (found == null || !found.begin(socket)) {
                out.writeByte(UNKNOWN);
                out.flush();
                return;
            }
            offer = found;
            out.writeByte(FOUND);
            // each batch as it is, by reference: no copy, and no vector of another allocator
            WriteChannel stream = new WriteChannel(new StreamChannels.Writing(out));
            MessageSerializer.serialize(stream, offer.table.schema());
            for (VectorSchemaRoot batch : offer.table.batches()) {
                try (ArrowRecordBatch record = new VectorUnloader(batch).getRecordBatch()) {
                    MessageSerializer.serialize(stream, record);
                }
            }
            ArrowStreamWriter.writeEndOfStream(stream, IpcOption.DEFAULT);
            long bytes = stream.getCurrentPosition();
            out.flush();
            acknowledged = in.read() == ACK;
            if (acknowledged) {
                bytesServed.addAndGet(bytes);
            }
        } catch (IOException | RuntimeException e) {
            LOG.debug("A transfer on the Arrow side channel from {} ended early: {}", socket.getRemoteSocketAddress(),
                    e.toString());
        } finally {
            cutOff.cancel(false);
            if (offer != null) {
                offer.end(socket, acknowledged);
            }
            open.remove(socket);
            closeQuietly(socket);
        }
    }

    /**
     * Stops serving and frees every offered table (one being streamed as soon as its transfer is cut
     * off, which closing does at once), waiting up to the transfer timeout for those transfers to end;
     * then checks that the channel holds no memory.
     *
     * @throws IllegalStateException when memory of offered tables is still held: a transfer that did not
     *                               end within the timeout (it frees its table when it ends), or a leak
     */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        closeQuietly(server);
        open.forEach(ArrowChannel::closeQuietly);
        offers.values().forEach(Offer::release);
        threads.shutdown();
        try {
            if (!threads.awaitTermination(timeoutMillis, TimeUnit.MILLISECONDS)) {
                LOG.warn("Transfers on the Arrow side channel on port {} did not end within {} ms", port(),
                        timeoutMillis);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        threads.shutdownNow();
        timer.shutdownNow();
        long held = heldBytes();
        if (held > 0) {
            throw new IllegalStateException("the Arrow side channel on " + host + ":" + port() + " closed holding "
                    + held + " bytes of " + offers.size() + " offered tables: " + offers.keySet());
        }
    }

    /**
     * The offer of {@code table}, whose buffers move into this channel's allocator for the table's root
     * (a table whose columns come from several roots, or that has none, stays where it is); frees the
     * table when that fails.
     */
    private Offer take(String id, ArrowTable table) {
        BufferAllocator root = rootOf(table);
        if (root == null) {
            return new Offer(id, table, null);
        }
        Custody holder;
        synchronized (custody) {
            holder = custody.computeIfAbsent(root, r -> new Custody(r, r.newChildAllocator("arrow-channel-"
                    + port() + "-offers", 0, Long.MAX_VALUE)));
            holder.tables++;
        }
        try {
            return new Offer(id, table.transferTo(holder.allocator), holder);
        } catch (RuntimeException | Error e) {
            table.close();
            let(holder);
            throw e;
        }
    }

    /** One table of {@code holder}'s is freed: the allocator closes with the last, failing on a leak. */
    private void let(Custody holder) {
        synchronized (custody) {
            if (--holder.tables > 0) {
                return;
            }
            custody.remove(holder.root);
            try {
                holder.allocator.close();
            } catch (IllegalStateException e) {
                LOG.error("The Arrow side channel on port {} freed its last offered table and still holds memory: {}",
                        port(), e.getMessage());
            }
        }
    }

    /** The root allocator every column of {@code table} comes from; null when none has columns, or several roots. */
    private static BufferAllocator rootOf(ArrowTable table) {
        BufferAllocator root = null;
        for (VectorSchemaRoot batch : table.batches()) {
            for (var vector : batch.getFieldVectors()) {
                BufferAllocator own = vector.getAllocator().getRoot();
                if (root == null) {
                    root = own;
                } else if (own != root) {
                    return null;
                }
            }
        }
        return root;
    }

    @Override
    public String toString() {
        return "ArrowChannel[" + host + ":" + port() + (tls != null ? ", TLS" : ", plain") + ", " + offers.size()
                + " offered]";
    }

    private static void closeQuietly(AutoCloseable closeable) {
        if (closeable != null) {
            try {
                closeable.close();
            } catch (Exception ignored) {
                // closing a socket that is already broken
            }
        }
    }

    private static java.util.concurrent.ThreadFactory daemon(String name) {
        AtomicLong n = new AtomicLong();
        return runnable -> {
            Thread thread = new Thread(runnable, name + "-" + n.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        };
    }

    /** The allocator that holds the offered tables of one root allocator, and how many it holds. */
    private static final class Custody {
        final BufferAllocator root;
        final BufferAllocator allocator;
        int tables;

        Custody(BufferAllocator root, BufferAllocator allocator) {
            this.root = root;
            this.allocator = allocator;
        }
    }

    /** One offered table: freed once released and no transfer streams it. */
    private final class Offer {
        final String id;
        final ArrowTable table;
        /** Where the table's memory is; null: it stayed where it came from. */
        final Custody holder;
        final long rows;
        final long bytes;
        ScheduledFuture<?> expiry;
        /** The sockets of the transfers streaming it. */
        private final Set<Socket> streams = new java.util.HashSet<>();
        private boolean released;
        private boolean freed;

        Offer(String id, ArrowTable table, Custody holder) {
            this.id = id;
            this.table = table;
            this.holder = holder;
            this.rows = table.rowCount();
            long size = 0;
            for (VectorSchemaRoot batch : table.batches()) {
                for (var vector : batch.getFieldVectors()) {
                    size += vector.getBufferSize();
                }
            }
            this.bytes = size;
        }

        synchronized boolean begin(Socket socket) {
            if (released) {
                return false;
            }
            streams.add(socket);
            return true;
        }

        synchronized void end(Socket socket, boolean acknowledged) {
            streams.remove(socket);
            if (acknowledged) {
                released = true;
            }
            freeIfDone();
        }

        /** No longer wanted: freed now, or once the transfers streaming it, cut off here, have ended. */
        synchronized void release() {
            released = true;
            for (Socket stream : streams) {
                try {
                    // closing a TLS socket may write: on this channel's thread, not the caller's
                    timer.execute(() -> closeQuietly(stream));
                } catch (java.util.concurrent.RejectedExecutionException e) {
                    // the channel is closing, and closes every socket itself
                }
            }
            freeIfDone();
        }

        private void freeIfDone() {
            if (released && streams.isEmpty() && !freed) {
                freed = true;
                offers.remove(id);
                if (expiry != null) {
                    expiry.cancel(false);
                }
                try {
                    table.close();
                } finally {
                    if (holder != null) {
                        let(holder);
                    }
                }
            }
        }
    }
}
