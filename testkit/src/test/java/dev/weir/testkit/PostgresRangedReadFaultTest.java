package dev.weir.testkit;

import static dev.weir.testkit.PostgresFaultInjectionTest.assertEveryIdOnce;
import static dev.weir.testkit.PostgresFaultInjectionTest.connect;
import static dev.weir.testkit.PostgresFaultInjectionTest.idsOf;
import static dev.weir.testkit.PostgresFaultInjectionTest.numbersInTheServer;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigValueFactory;
import dev.weir.engine.Flow;
import dev.weir.engine.Ref;
import dev.weir.engine.Table;
import dev.weir.engine.config.InstanceConfig;
import dev.weir.engine.data.ArrowTable;
import dev.weir.engine.store.StoreSettings;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.arrow.vector.ipc.ArrowReader;
import org.junit.jupiter.api.Test;

/**
 * A read by ranges of pages on several connections whose backends the server ends mid-read: the task's
 * attempt fails transiently, every connection of the read is ended, the retry reads the table again, and
 * the run keeps every row once. The ranges are small (256 pages) so that each connection has ranges left
 * to ask for when its backend ends, however fast the machine: a ranged read holds at most one batch per
 * connection and two more while its task waits. Needs the PG* variables' server, else an embedded one;
 * skipped without one, except under {@code CI=true}.
 */
class PostgresRangedReadFaultTest extends FlowKitTest {

    private static final String INSTANCE = "pgranged";
    /** About 80 MB of heap: some 40 ranges of 256 pages over 4 connections. */
    private static final int ROWS = 500_000;

    @Override
    protected InstanceConfig instance(FlowTestKit kit) {
        InstanceConfig instance = kit.postgresInstance(INSTANCE);
        StoreSettings store = instance.tableStore();
        return instance.withTableStoreSettings(new StoreSettings(store.instanceName(), store.instanceId(),
                store.connectionName(), store.kind(), store.args()
                        .withValue("read_connections", ConfigValueFactory.fromAnyRef(4))
                        .withValue("read_range_pages", ConfigValueFactory.fromAnyRef(256)),
                store.workDir(), store.origin()));
    }

    @Test
    void backendsEndedUnderARangedReadAreRetriedAndTheRunKeepsEveryRowOnce() throws Exception {
        AtomicInteger calls = new AtomicInteger();
        AtomicInteger ended = new AtomicInteger();
        Flow flow = Flow.define("ranged", f -> {
            Ref numbers = numbersInTheServer(f.stage("raw"), ROWS).ref();
            f.stage("out").task("copy").input("numbers", numbers, ArrowReader.class).produces(ctx -> {
                boolean first = calls.incrementAndGet() == 1;
                return Table.of(idsOf(ctx.input("numbers", ArrowReader.class), ctx.allocator(), () -> {
                    if (first) {
                        ended.set(terminateRangedReaders());
                    }
                }), "copy");
            });
        });

        FlowRunRecord run = kit.run(flow, mini);

        assertTrue(ended.get() >= 2, "the read ran on several connections, ended: " + ended.get());
        assertTrue(run.successful(), () -> run.result().toJson());
        assertEquals(2, run.task("copy").attempts());
        try (ArrowTable copy = run.result().get(new Ref("out", "copy", "copy"), ArrowTable.class)) {
            assertEveryIdOnce(copy, ROWS);
        }
        assertEquals(0, readConnections(), "no connection of either read is left");
    }

    /**
     * Ends the read's own connections ({@code weir <instance> read}) and the pool's connection that is reading
     * {@code numbers} (not the one holding the instance lock); returns how many it ended.
     */
    private static int terminateRangedReaders() throws SQLException {
        try (Connection c = connect(); PreparedStatement s = c.prepareStatement(
                "SELECT pg_terminate_backend(pid, 5000) FROM pg_stat_activity WHERE datname = current_database()"
                        + " AND pid <> pg_backend_pid() AND (application_name = ?"
                        + " OR (application_name = ? AND query LIKE '%\"numbers\"%'))")) {
            s.setString(1, "weir " + INSTANCE + " read");
            s.setString(2, "weir " + INSTANCE);
            int count = 0;
            try (ResultSet rs = s.executeQuery()) {
                while (rs.next()) {
                    count += rs.getBoolean(1) ? 1 : 0;
                }
            }
            return count;
        }
    }

    private static long readConnections() throws Exception {
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (true) {
            try (Connection c = connect(); PreparedStatement s = c.prepareStatement(
                    "SELECT count(*) FROM pg_stat_activity WHERE application_name = ?")) {
                s.setString(1, "weir " + INSTANCE + " read");
                try (ResultSet rs = s.executeQuery()) {
                    rs.next();
                    long open = rs.getLong(1);
                    if (open == 0 || System.nanoTime() > deadline) {
                        return open;
                    }
                }
            }
            Thread.sleep(50);
        }
    }
}
