package dev.weir.cluster.channel;

/**
 * A pull on the Arrow side channel failed: the peer is gone or refused us, the stream broke, or the
 * transfer is no longer offered. Always worth another attempt elsewhere, never a fault of the data.
 */
public final class ChannelException extends RuntimeException {

    public ChannelException(String message, Throwable cause) {
        super(message, cause);
    }
}
