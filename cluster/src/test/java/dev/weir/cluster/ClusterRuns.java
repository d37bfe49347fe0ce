package dev.weir.cluster;

import static org.junit.jupiter.api.Assertions.fail;

import dev.weir.engine.Ref;
import dev.weir.engine.Result;
import dev.weir.testpostgres.TestPostgres;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;

/** What the cluster tests wait for and check: workers' slots, chunks run, and a run's scores table. */
final class ClusterRuns {

    /** The scores table of {@link ScoringFlow}. */
    static final Ref SCORES = new Ref("scored", "score", "scores");

    private ClusterRuns() {
    }

    /** Waits until the workers offer {@code slots} slots, failing after {@code bound}. */
    static void awaitSlots(ClusterPlacement placement, int slots, Duration bound) throws InterruptedException {
        long deadline = System.nanoTime() + bound.toNanos();
        while (placement.slots() < slots) {
            if (System.nanoTime() > deadline) {
                fail("the workers offered " + placement.slots() + " slots within " + bound.toSeconds() + " s, not "
                        + slots);
            }
            Thread.sleep(50);
        }
    }

    /** Waits until {@code chunks} chunks have run, failing after {@code bound}. */
    static void awaitChunks(ClusterPlacement placement, int chunks, Duration bound) throws InterruptedException {
        long deadline = System.nanoTime() + bound.toNanos();
        while (placement.chunksByNode().values().stream().mapToInt(Integer::intValue).sum() < chunks) {
            if (System.nanoTime() > deadline) {
                fail("fewer than " + chunks + " chunks ran within " + bound.toSeconds() + " s");
            }
            Thread.sleep(20);
        }
    }

    /** Waits until the worker {@code node} has uploaded {@code chunks} chunks, failing after {@code bound}. */
    static void awaitChunksOn(ClusterPlacement placement, String node, int chunks, Duration bound)
            throws InterruptedException {
        long deadline = System.nanoTime() + bound.toNanos();
        while (placement.chunksByNode().getOrDefault(node, 0) < chunks) {
            if (System.nanoTime() > deadline) {
                fail("worker " + node + " uploaded fewer than " + chunks + " chunks within " + bound.toSeconds()
                        + " s: " + placement.chunksByNode());
            }
            Thread.sleep(20);
        }
    }

    /** Rows, distinct order ids and a checksum of the scores table of a run. */
    record Summary(long rows, long distinct, String checksum) {
    }

    static Summary summary(Result result) throws Exception {
        String table = result.get(SCORES, String.class);
        try (Connection connection = TestPostgres.require().connect();
             Statement statement = connection.createStatement();
             ResultSet rs = statement.executeQuery("SELECT count(*), count(DISTINCT order_id),"
                     + " md5(string_agg(order_id || ':' || customer_id || ':' || round(score::numeric, 6), ','"
                     + " ORDER BY order_id)) FROM " + table)) {
            rs.next();
            return new Summary(rs.getLong(1), rs.getLong(2), rs.getString(3));
        }
    }
}
