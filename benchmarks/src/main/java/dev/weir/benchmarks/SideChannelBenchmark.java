package dev.weir.benchmarks;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import dev.weir.cluster.channel.ArrowChannel;
import dev.weir.cluster.channel.TableHandle;
import dev.weir.engine.data.ArrowTable;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.channels.Channels;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.Float8Vector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.ipc.ArrowStreamReader;
import org.apache.arrow.vector.ipc.ArrowStreamWriter;
import org.apache.pekko.actor.AbstractActor;
import org.apache.pekko.actor.ActorRef;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.actor.Props;
import org.apache.pekko.pattern.Patterns;

/**
 * Moving one Arrow table between two nodes on loopback, side by side: Weir's Arrow side channel
 * ({@link ArrowChannel}: offer, then the receiver pulls an Arrow IPC stream over a socket of its own)
 * against an Artery message (the table as Arrow IPC bytes in one message on Artery's large-message
 * channel, plain {@code tcp}, decoded by the receiving actor). Both ends are in this JVM, each with its
 * own allocator and actor system; each round moves the table once each way, alternating which goes first,
 * and the receiver decodes the table into its own memory before the round counts as done. MB/s at the
 * receiver (table bytes / round time), medians over the rounds; CPU seconds of the whole process (both
 * nodes) per GB moved, over all rounds.
 *
 * <p>Usage: {@code benchmarks/run side-channel [rounds]}.
 */
public final class SideChannelBenchmark {

    private static final int[] MIB = {1, 8, 64};

    private SideChannelBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 7;
        ActorSystem sender = ActorSystem.create("sender", artery());
        ActorSystem receiver = ActorSystem.create("receiver", artery());
        try (RootAllocator senderMemory = new RootAllocator(); RootAllocator receiverMemory = new RootAllocator();
             ArrowChannel senderChannel = ArrowChannel.start("127.0.0.1", 0, null, Duration.ofMinutes(2));
             ArrowChannel receiverChannel = ArrowChannel.start("127.0.0.1", 0, null, Duration.ofMinutes(2))) {
            receiver.actorOf(Props.create(Sink.class, () -> new Sink(receiverMemory)), "sink");
            String path = "pekko://receiver@127.0.0.1:" + receiver.provider().getDefaultAddress().getPort().get()
                    + "/user/sink";
            ActorRef sink = sender.actorSelection(path).resolveOne(Duration.ofSeconds(10)).toCompletableFuture()
                    .get(10, TimeUnit.SECONDS);
            System.out.printf(Locale.ROOT, "%-8s %-6s %-18s %-20s %-10s %-22s %s%n", "table", "rounds",
                    "side channel MB/s", "Artery message MB/s", "ratio", "CPU s/GB channel", "CPU s/GB Artery");
            for (int mib : MIB) {
                try (ArrowTable table = table(senderMemory, mib)) {
                    long bytes = bytes(table);
                    double[] channel = new double[rounds];
                    double[] artery = new double[rounds];
                    double[] channelCpu = new double[rounds];
                    double[] arteryCpu = new double[rounds];
                    for (int round = -1; round < rounds; round++) { // round -1 warms both up
                        boolean channelFirst = Rounds.referenceFirst(Math.max(round, 0));
                        double[] a;
                        double[] c;
                        if (channelFirst) {
                            c = timed(() -> viaChannel(table, senderChannel, receiverChannel, receiverMemory));
                            a = timed(() -> viaArtery(table, sink));
                        } else {
                            a = timed(() -> viaArtery(table, sink));
                            c = timed(() -> viaChannel(table, senderChannel, receiverChannel, receiverMemory));
                        }
                        if (round >= 0) {
                            channel[round] = bytes / c[0] / 1e6;
                            artery[round] = bytes / a[0] / 1e6;
                            channelCpu[round] = c[1];
                            arteryCpu[round] = a[1];
                        }
                    }
                    double cm = Rounds.median(channel);
                    double am = Rounds.median(artery);
                    System.out.printf(Locale.ROOT, "%-8s %-6d %-18.0f %-20.0f %-10.2f %-22.2f %.2f%n", mib + " MiB",
                            rounds, cm, am, cm / am, perGb(channelCpu, bytes), perGb(arteryCpu, bytes));
                }
            }
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (senderChannel.offered() != 0 && System.nanoTime() < deadline) {
                Thread.sleep(10); // the last table is freed on the serving thread just after its acknowledgement
            }
            if (receiverMemory.getAllocatedMemory() != 0 || senderChannel.offered() != 0) {
                throw new IllegalStateException("memory left: receiver " + receiverMemory.getAllocatedMemory()
                        + " bytes, sender offers " + senderChannel.offered());
            }
        } finally {
            sender.terminate();
            receiver.terminate();
            sender.getWhenTerminated().toCompletableFuture().get(20, TimeUnit.SECONDS);
            receiver.getWhenTerminated().toCompletableFuture().get(20, TimeUnit.SECONDS);
        }
    }

    /**
     * CPU seconds per GB over all rounds together: the process's CPU clock ticks in steps of about 10 ms,
     * coarser than one round of a small table.
     */
    private static double perGb(double[] cpuSeconds, long bytes) {
        double total = 0;
        for (double seconds : cpuSeconds) {
            total += seconds;
        }
        return total / (cpuSeconds.length * (bytes / 1e9));
    }

    private interface Transfer {
        void run() throws Exception;
    }

    /** Wall seconds and this process's CPU seconds (both nodes' threads) of {@code transfer}. */
    private static double[] timed(Transfer transfer) throws Exception {
        var os = (com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory
                .getOperatingSystemMXBean();
        long cpu = os.getProcessCpuTime();
        long start = System.nanoTime();
        transfer.run();
        return new double[] {(System.nanoTime() - start) / 1e9, (os.getProcessCpuTime() - cpu) / 1e9};
    }

    /** Seconds to offer a view of {@code table} and pull it at the receiver. */
    private static double viaChannel(ArrowTable table, ArrowChannel from, ArrowChannel to, BufferAllocator into) {
        long start = System.nanoTime();
        TableHandle handle = from.offer(table.view(table.batches().get(0).getVector(0).getAllocator()));
        try (ArrowTable pulled = to.pull(handle, into)) {
            if (pulled.rowCount() != table.rowCount()) {
                throw new IllegalStateException("pulled " + pulled.rowCount() + " rows of " + table.rowCount());
            }
        }
        return (System.nanoTime() - start) / 1e9;
    }

    /** Seconds to encode {@code table} as Arrow IPC, send it in one Artery message, and have it decoded. */
    private static double viaArtery(ArrowTable table, ActorRef sink) throws Exception {
        long start = System.nanoTime();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (var reader = table.reader(table.batches().get(0).getVector(0).getAllocator());
             ArrowStreamWriter writer = new ArrowStreamWriter(reader.getVectorSchemaRoot(), null,
                     Channels.newChannel(out))) {
            writer.start();
            while (reader.loadNextBatch()) {
                writer.writeBatch();
            }
            writer.end();
        }
        Object reply = Patterns.ask(sink, out.toByteArray(), Duration.ofMinutes(2)).toCompletableFuture()
                .get(2, TimeUnit.MINUTES);
        if (!Long.valueOf(table.rowCount()).equals(reply)) {
            throw new IllegalStateException("the receiver decoded " + reply + " rows of " + table.rowCount());
        }
        return (System.nanoTime() - start) / 1e9;
    }

    /** Decodes each message's Arrow IPC bytes into its allocator and answers the rows it read. */
    static final class Sink extends AbstractActor {
        private final BufferAllocator allocator;

        Sink(BufferAllocator allocator) {
            this.allocator = allocator;
        }

        @Override
        public Receive createReceive() {
            return receiveBuilder().match(byte[].class, bytes -> {
                try (ArrowStreamReader reader = new ArrowStreamReader(new ByteArrayInputStream(bytes), allocator);
                     ArrowTable table = ArrowTable.readAll(reader, allocator)) {
                    getSender().tell(table.rowCount(), getSelf());
                }
            }).build();
        }
    }

    private static Config artery() {
        return ConfigFactory.parseString("""
                pekko {
                  loglevel = WARNING
                  actor.provider = remote
                  actor.allow-java-serialization = off
                  remote.artery {
                    transport = tcp
                    canonical { hostname = "127.0.0.1", port = 0 }
                    large-message-destinations = ["/user/sink"]
                    advanced {
                      maximum-large-frame-size = 80MiB
                      large-buffer-pool-size = 4
                    }
                  }
                }
                """).withFallback(ConfigFactory.load());
    }

    /** A table of {@code mib} MiB: order ids and amounts, 16 bytes a row. */
    private static ArrowTable table(BufferAllocator allocator, int mib) {
        int rows = mib * (1 << 20) / 16;
        BigIntVector ids = new BigIntVector("order_id", allocator);
        Float8Vector amounts = new Float8Vector("amount", allocator);
        ids.allocateNew(rows);
        amounts.allocateNew(rows);
        for (int i = 0; i < rows; i++) {
            ids.set(i, i);
            amounts.set(i, (i * 7919L % 100_000) / 100.0);
        }
        ids.setValueCount(rows);
        amounts.setValueCount(rows);
        return ArrowTable.of(VectorSchemaRoot.of(ids, amounts));
    }

    private static long bytes(ArrowTable table) {
        long bytes = 0;
        for (VectorSchemaRoot batch : table.batches()) {
            for (var vector : batch.getFieldVectors()) {
                bytes += vector.getBufferSize();
            }
        }
        return bytes;
    }
}
