package dev.weir.examples.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code weir node} and {@code weir run --cluster}: their options, and what they refuse before any work. */
class ClusterCommandsTest {

    private record Outcome(int code, String out, String err) {
    }

    private static Outcome weir(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = WeirCommand.execute(new PrintWriter(out, true), new PrintWriter(err, true), args);
        return new Outcome(code, out.toString(), err.toString());
    }

    @Test
    void nodePrintsItsOptions() {
        Outcome help = weir("node", "--help");
        assertEquals(0, help.code(), help.err());
        for (String option : new String[] {"--seed", "--hostname", "--port", "--slots", "--classpath", "--config",
                "--node-config", "--transport", "--side-channel-port"}) {
            assertTrue(help.out().contains(option), () -> option + " missing from:\n" + help.out());
        }
        assertTrue(weir("run", "--help").out().contains("--cluster"));
        assertTrue(weir("run", "--help").out().contains("--cluster-side-channel-port"));
    }

    @Test
    void aSideChannelOnTheNodesOwnPortIsAUsageErrorNamingTheKey() {
        Outcome same = weir("node", "--seed", "127.0.0.1:25520", "--port", "25599", "--side-channel-port", "25599",
                "--transport", "tcp");
        assertEquals(WeirCommand.USAGE, same.code(), same.out() + same.err());
        assertTrue(same.err().contains("the command line: weir.cluster.side-channel.port: '25599' - expected a port"
                + " other than weir.cluster.port (25599)"), same.err());
    }

    @Test
    void aSeedThatIsNotHostAndPortIsAUsageError() {
        Outcome wrong = weir("node", "--seed", "localhost", "--transport", "tcp");
        assertEquals(WeirCommand.USAGE, wrong.code(), wrong.out() + wrong.err());
        assertTrue(wrong.err().contains("localhost"), wrong.err());
        Outcome withFile = weir("node", "--node-config", Path.of("..", "application.conf").toString(), "--transport",
                "tcp", "--seed", "localhost");
        assertEquals(WeirCommand.USAGE, withFile.code(), withFile.out() + withFile.err());
        assertTrue(withFile.err().contains("localhost"), withFile.err());
    }

    @Test
    void aClusterRunOnEmbeddedDuckDbFailsAtStartNamingTheInstance(@TempDir Path dir) throws Exception {
        String config = CliFixtures.examplesConfigIn(dir).toString();
        Outcome run = weir("run", "batched", "--instance", "mini", "--config", config, "--cluster",
                "--cluster-port", "0", "--transport", "tcp");
        assertEquals(WeirCommand.RUN_FAILED, run.code(), run.out() + run.err());
        assertTrue(run.err().contains("instance 'mini'") && run.err().contains("a cluster run needs a shared store"
                + " (PostgreSQL)"), run.err());
    }
}
