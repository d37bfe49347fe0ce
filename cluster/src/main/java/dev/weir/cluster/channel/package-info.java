/**
 * The Arrow side channel: tables cross cluster nodes as Arrow IPC streams over a socket, pulled by the
 * receiver with a {@link dev.weir.cluster.channel.TableHandle} that an actor message carried.
 */
package dev.weir.cluster.channel;
