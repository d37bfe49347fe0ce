package dev.weir.cluster.channel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.weir.cluster.node.NodeSettings;
import dev.weir.cluster.node.TestCertificates;
import dev.weir.cluster.node.TlsSettings;
import dev.weir.engine.data.ArrowTable;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.junit.jupiter.api.Test;

/**
 * Two side channels in one JVM, each with its own allocator standing for its node's: tables arrive
 * whole, the sender frees what it offered once the receiver acknowledged (or the offer timed out, was
 * withdrawn, or the channel closed), and with TLS only a holder of the cluster's certificate can pull.
 */
class ArrowChannelTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(10);

    @Test
    void aPulledTableArrivesWholeAndBothSidesEndWithNoMemory() {
        try (RootAllocator senderMemory = new RootAllocator(); RootAllocator receiverMemory = new RootAllocator()) {
            try (ArrowChannel sender = ArrowChannel.start("127.0.0.1", 0, null, TIMEOUT);
                 ArrowChannel receiver = ArrowChannel.start("127.0.0.1", 0, null, TIMEOUT)) {
                TableHandle handle = sender.offer(table(senderMemory, 3, 1_000));
                assertEquals(3_000, handle.rows());
                assertTrue(handle.bytes() > 3_000 * 8, handle::toString);
                try (ArrowTable pulled = receiver.pull(handle, receiverMemory)) {
                    assertEquals(3, pulled.batches().size());
                    assertEquals(rows(3, 1_000), rows(pulled));
                }
                awaitFreed(sender, senderMemory);
                ChannelException again = assertThrows(ChannelException.class, () -> receiver.pull(handle, receiverMemory));
                assertTrue(again.getMessage().contains("no longer offers"), again::getMessage);
                assertEquals(0, receiverMemory.getAllocatedMemory());
            }
        }
    }

    @Test
    void anOfferNobodyPullsIsFreedAfterTheTimeoutAndAWithdrawnOneAtOnce() {
        try (RootAllocator memory = new RootAllocator()) {
            try (ArrowChannel channel = ArrowChannel.start("127.0.0.1", 0, null, Duration.ofMillis(300))) {
                TableHandle forgotten = channel.offer(table(memory, 1, 100));
                TableHandle withdrawn = channel.offer(table(memory, 1, 100));
                channel.withdraw(withdrawn.transfer());
                assertEquals(1, channel.offered());
                awaitFreed(channel, memory);
                assertThrows(ChannelException.class, () -> channel.pull(forgotten, memory));
                assertThrows(ChannelException.class, () -> channel.pull(withdrawn, memory));
            }
        }
    }

    @Test
    void closingTheChannelFreesWhatItStillOffers() {
        try (RootAllocator memory = new RootAllocator()) {
            ArrowChannel channel = ArrowChannel.start("127.0.0.1", 0, null, TIMEOUT);
            channel.offer(table(memory, 2, 500));
            channel.close();
            assertEquals(0, memory.getAllocatedMemory());
            assertThrows(IllegalStateException.class, () -> channel.offer(table(memory, 1, 1)));
            assertEquals(0, memory.getAllocatedMemory());
        }
    }

    @Test
    void aNodesChannelListensOnItsConfiguredPortAndABusyPortNamesTheKey() throws Exception {
        int port;
        try (java.net.ServerSocket probe = new java.net.ServerSocket(0, 1, java.net.InetAddress.getByName("127.0.0.1"))) {
            port = probe.getLocalPort();
        }
        NodeSettings node = NodeSettings.fromConfig(com.typesafe.config.ConfigFactory.parseString(
                "weir.cluster { transport = tcp, side-channel { port = " + port + ", transfer-timeout = 300 ms } }"),
                "node.conf", java.nio.file.Path.of(""), java.util.Map.of());
        try (RootAllocator memory = new RootAllocator();
             ArrowChannel channel = ArrowChannel.start(node);
             ArrowChannel receiver = ArrowChannel.start("127.0.0.1", 0, null, TIMEOUT)) {
            assertEquals(port, channel.port());
            TableHandle handle = channel.offer(table(memory, 1, 10));
            assertEquals(port, handle.port());
            try (ArrowTable pulled = receiver.pull(handle, memory)) {
                assertEquals(rows(1, 10), rows(pulled));
            }
            channel.offer(table(memory, 1, 10));
            awaitFreed(channel, memory); // unpulled: freed after the configured 300 ms, not 2 minutes

            IllegalStateException busy = assertThrows(IllegalStateException.class, () -> ArrowChannel.start(node));
            assertTrue(busy.getMessage().startsWith("node.conf: weir.cluster.side-channel.port: could not open the"
                    + " Arrow side channel on 127.0.0.1:" + port), busy::getMessage);
        }
    }

    @Test
    void anOfferedTablesMemoryMovesToTheChannelSoThatItsOfferersAllocatorClosesAtOnce() {
        try (RootAllocator memory = new RootAllocator()) {
            try (ArrowChannel channel = ArrowChannel.start("127.0.0.1", 0, null, TIMEOUT)) {
                BufferAllocator run = memory.newChildAllocator("run", 0, Long.MAX_VALUE);
                ArrowTable table = table(run, 2, 500);
                long bytes = run.getAllocatedMemory();
                TableHandle handle = channel.offer(table);
                assertEquals(0, run.getAllocatedMemory(), "the offered buffers left the offerer's allocator");
                run.close(); // no leak: the table is the channel's
                assertEquals(bytes, channel.heldBytes(), "the channel holds the table, without a copy");
                assertEquals(bytes, memory.getAllocatedMemory(), "the same root accounts for it");
                channel.withdraw(handle.transfer());
                assertEquals(0, channel.heldBytes());
                assertEquals(0, memory.getAllocatedMemory());
                assertEquals(List.of(), memory.getChildAllocators().stream().map(BufferAllocator::getName).toList(),
                        "the channel's allocator closes with the last table it holds");
            }
        }
    }

    @Test
    void withdrawingAnOfferWhoseTransferIsUnderWayCutsTheTransferOffAndFreesIt() throws Exception {
        java.util.concurrent.CountDownLatch streaming = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.CountDownLatch resume = new java.util.concurrent.CountDownLatch(1);
        Duration transferTimeout = Duration.ofSeconds(60); // far longer than the test waits for the cut
        try (RootAllocator senderMemory = new RootAllocator(); RootAllocator receiverRoot = new RootAllocator();
             ArrowChannel sender = ArrowChannel.start("127.0.0.1", 0, null, transferTimeout);
             ArrowChannel receiver = ArrowChannel.start("127.0.0.1", 0, null, transferTimeout)) {
            // the receiver's first allocation waits: its pull is under way, unacknowledged, until resumed
            BufferAllocator receiverMemory = receiverRoot.newChildAllocator("held", new org.apache.arrow.memory
                    .AllocationListener() {
                @Override
                public void onPreAllocation(long size) {
                    streaming.countDown();
                    try {
                        resume.await(30, java.util.concurrent.TimeUnit.SECONDS);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }
            }, 0, Long.MAX_VALUE);
            TableHandle handle = sender.offer(table(senderMemory, 2, 500));
            java.util.concurrent.CompletableFuture<ArrowTable> pull = java.util.concurrent.CompletableFuture
                    .supplyAsync(() -> receiver.pull(handle, receiverMemory));
            assertTrue(streaming.await(10, java.util.concurrent.TimeUnit.SECONDS), "the pull never began");
            sender.withdraw(handle.transfer());
            awaitFreed(sender, senderMemory); // within 10 s: cut off, not left to the transfer timeout
            resume.countDown();
            // the receiver may still read what its socket buffered before the cut; either way the pull ends
            pull.handle((table, error) -> {
                if (table != null) {
                    table.close();
                }
                return null;
            }).get(10, java.util.concurrent.TimeUnit.SECONDS);
            assertEquals(0, receiverMemory.getAllocatedMemory());
            receiverMemory.close();
        }
    }

    @Test
    void withTlsOnlyAHolderOfTheClustersCertificatePulls() {
        TestCertificates certificates = TestCertificates.shared();
        TlsSettings cluster = certificates.nodeTls();
        try (RootAllocator senderMemory = new RootAllocator(); RootAllocator receiverMemory = new RootAllocator()) {
            try (ArrowChannel sender = ArrowChannel.start("127.0.0.1", 0, cluster, TIMEOUT);
                 ArrowChannel member = ArrowChannel.start("127.0.0.1", 0, cluster, TIMEOUT);
                 ArrowChannel rogue = ArrowChannel.start("127.0.0.1", 0, certificates.rogueTls(), TIMEOUT);
                 ArrowChannel plain = ArrowChannel.start("127.0.0.1", 0, null, TIMEOUT)) {
                assertTrue(sender.secure());
                TableHandle handle = sender.offer(table(senderMemory, 2, 700));
                assertThrows(ChannelException.class, () -> rogue.pull(handle, receiverMemory));
                assertThrows(ChannelException.class, () -> plain.pull(handle, receiverMemory));
                assertEquals(0, receiverMemory.getAllocatedMemory());
                assertEquals(1, sender.offered(), "a refused pull leaves the table offered");
                try (ArrowTable pulled = member.pull(handle, receiverMemory)) {
                    assertEquals(rows(2, 700), rows(pulled));
                }
                awaitFreed(sender, senderMemory);
            }
        }
    }

    /** {@code batches} batches of {@code rows} rows: id and a label. */
    static ArrowTable table(BufferAllocator allocator, int batches, int rows) {
        List<VectorSchemaRoot> roots = new ArrayList<>();
        for (int b = 0; b < batches; b++) {
            BigIntVector ids = new BigIntVector("id", allocator);
            VarCharVector labels = new VarCharVector("label", allocator);
            ids.allocateNew(rows);
            labels.allocateNew(rows);
            for (int i = 0; i < rows; i++) {
                long id = (long) b * rows + i;
                ids.set(i, id);
                labels.setSafe(i, ("row " + id).getBytes(java.nio.charset.StandardCharsets.UTF_8));
            }
            ids.setValueCount(rows);
            labels.setValueCount(rows);
            roots.add(VectorSchemaRoot.of(ids, labels));
        }
        return ArrowTable.of(roots.get(0).getSchema(), roots);
    }

    static List<String> rows(int batches, int rows) {
        List<String> expected = new ArrayList<>();
        for (long id = 0; id < (long) batches * rows; id++) {
            expected.add(id + ":row " + id);
        }
        return expected;
    }

    static List<String> rows(ArrowTable table) {
        List<String> rows = new ArrayList<>();
        for (VectorSchemaRoot root : table.batches()) {
            BigIntVector ids = (BigIntVector) root.getVector("id");
            VarCharVector labels = (VarCharVector) root.getVector("label");
            for (int i = 0; i < root.getRowCount(); i++) {
                rows.add(ids.get(i) + ":" + new String(labels.get(i), java.nio.charset.StandardCharsets.UTF_8));
            }
        }
        return rows;
    }

    /** The channel frees an acknowledged table on its serving thread, just after the receiver has it. */
    static void awaitFreed(ArrowChannel channel, BufferAllocator allocator) {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while ((channel.offered() > 0 || allocator.getAllocatedMemory() > 0) && System.nanoTime() < deadline) {
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError(e);
            }
        }
        assertEquals(0, channel.offered(), "tables still offered");
        assertEquals(0, allocator.getAllocatedMemory(), "bytes still allocated");
    }
}
