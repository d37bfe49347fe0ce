package dev.weir.cluster;

import java.util.List;
import java.util.Objects;

/**
 * What {@link ClusterObserver} saw: each member of the cluster but the observer itself, in address order,
 * with its roles and membership status, and for a worker that answered, its slots, chunks and streaming calls
 * in flight.
 *
 * @param observer the observing node's address
 * @param members  the other members, in address order
 */
public record ClusterStatus(String observer, List<Member> members) {

    public ClusterStatus {
        Objects.requireNonNull(observer, "observer is null");
        members = List.copyOf(members);
    }

    /**
     * One member.
     *
     * @param address   its cluster address, {@code pekko://SYSTEM@HOST:PORT}
     * @param roles     its Weir roles ({@code coordinator}, {@code worker}, {@code observer}), without Pekko's
     *                  data-center role
     * @param status    Pekko's membership status: {@code Joining}, {@code WeaklyUp}, {@code Up}, {@code Leaving},
     *                  {@code Exiting}, {@code Down}
     * @param reachable false when the observer's failure detector (or another member's) finds it unreachable
     * @param worker    a worker's answer to {@link Worker.Status} with its batch worker's calls
     *                  ({@link BatchWorker.Status}), or null: not a worker, or no answer in time
     */
    public record Member(String address, List<String> roles, String status, boolean reachable, WorkerStatus worker) {
        public Member {
            Objects.requireNonNull(address, "address is null");
            Objects.requireNonNull(status, "status is null");
            roles = List.copyOf(roles);
        }

        /** {@code HOST:PORT} of its address. */
        public String hostPort() {
            int at = address.indexOf('@');
            return at < 0 ? address : address.substring(at + 1);
        }

        public boolean isWorker() {
            return roles.contains("worker");
        }
    }
}
