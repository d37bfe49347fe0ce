package dev.weir.cluster.channel;

import java.util.Objects;

/**
 * Where a table offered on a node's {@link ArrowChannel} can be pulled from: the only thing about a
 * table that travels in an actor message. The data itself streams as Arrow IPC when the receiver pulls.
 *
 * @param host     the offering node's side-channel host
 * @param port     its side-channel port
 * @param transfer the offer's id on that node, good for one pull
 * @param rows     the table's rows
 * @param bytes    the table's buffer bytes (what the pull will move, about)
 */
public record TableHandle(String host, int port, String transfer, long rows, long bytes) {

    public TableHandle {
        Objects.requireNonNull(host, "host is null");
        Objects.requireNonNull(transfer, "transfer is null");
        if (port < 1 || port > 65_535) {
            throw new IllegalArgumentException("port must be 1 to 65535, not " + port);
        }
    }

    @Override
    public String toString() {
        return "transfer " + transfer + " at " + host + ":" + port + " (" + rows + " rows, " + bytes + " bytes)";
    }
}
