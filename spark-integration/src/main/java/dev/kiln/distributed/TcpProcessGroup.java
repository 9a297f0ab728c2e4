package dev.kiln.distributed;

import dev.kiln.distributed.Frames.Kind;
import dev.kiln.tensor.Tensor;
import java.io.IOException;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A {@link ProcessGroup} over direct TCP connections between ranks arranged in a ring, like Gloo's TCP transport
 * with its ring algorithms. Each rank holds two connections: to its right neighbour {@code rank+1} (it sends
 * there) and from its left neighbour {@code rank-1} (it receives from there); see {@link Ring} for the
 * algorithms and {@link Handshake} for how peers prove they hold the job secret.
 *
 * <pre>{@code
 * try (var listener = TcpProcessGroup.listen(myHost, secret, TcpOptions.defaults())) {
 *     String[] all = rendezvous.allGather(listener.address());          // e.g. Spark's BarrierTaskContext
 *     try (TcpProcessGroup pg = listener.connect(rank, List.of(all))) {
 *         pg.allReduce(grads, ReduceOp.AVG);
 *     }
 * }
 * }</pre>
 *
 * <p>Collectives run on the calling thread (one at a time per group; a second caller waits up to the op timeout)
 * and move bytes straight between sockets and the tensors' Arrow memory. Data is sent in native byte order; the
 * handshake refuses peers with another. After a collective fails (timeout, dead peer, mismatched call) the group
 * shuts its sockets down, so every other rank fails promptly too, and all later calls fail: recovery means a new
 * group (in Spark, the retried barrier stage).
 */
public final class TcpProcessGroup implements ProcessGroup {
    private final int rank;
    private final int world;
    private final List<String> addresses;
    private final TcpOptions options;
    private final Duplex link; // null when world == 1
    private final Ring ring;
    private final ReentrantLock opLock = new ReentrantLock();
    private ByteBuffer scratch;
    private long sequence;
    private volatile boolean closed;
    private volatile String failure;

    private TcpProcessGroup(int rank, List<String> addresses, TcpOptions options, Duplex link) {
        this.rank = rank;
        this.world = addresses.size();
        this.addresses = List.copyOf(addresses);
        this.options = options;
        this.link = link;
        this.ring = link == null ? null : new Ring(link, rank, world, options.maxMessageBytes());
    }

    /**
     * Binds a listening socket on an ephemeral port of {@code bindHost}, to be published to the peers. The
     * secret (at least 16 random bytes, the same on every rank) is copied and wiped when the listener closes.
     */
    public static Listener listen(InetAddress bindHost, byte[] jobSecret, TcpOptions options) {
        Objects.requireNonNull(bindHost, "bindHost");
        Objects.requireNonNull(options, "options");
        if (jobSecret == null || jobSecret.length < Handshake.MIN_SECRET_BYTES) {
            throw new IllegalArgumentException("the job secret must have at least " + Handshake.MIN_SECRET_BYTES
                    + " bytes, got " + (jobSecret == null ? "null" : jobSecret.length));
        }
        try {
            ServerSocketChannel server = ServerSocketChannel.open();
            try {
                server.bind(new InetSocketAddress(bindHost, 0), 64);
            } catch (IOException e) {
                server.close();
                throw e;
            }
            return new Listener(server, bindHost, jobSecret.clone(), options);
        } catch (IOException e) {
            throw new DistributedException("could not listen on " + bindHost.getHostAddress() + ": " + e.getMessage(), e);
        }
    }

    /** A bound, not yet connected rank: publish {@link #address()}, then {@link #connect}. */
    public static final class Listener implements AutoCloseable {
        private final ServerSocketChannel server;
        private final String address;
        private final byte[] secret;
        private final TcpOptions options;
        private boolean closed;

        private Listener(ServerSocketChannel server, InetAddress host, byte[] secret, TcpOptions options)
                throws IOException {
            this.server = server;
            this.address = format(new InetSocketAddress(host, ((InetSocketAddress) server.getLocalAddress()).getPort()));
            this.secret = secret;
            this.options = options;
        }

        /** {@code host:port} ({@code [v6]:port} for IPv6) to publish to the peers. */
        public String address() {
            return address;
        }

        /**
         * Connects this rank into the ring described by {@code addressesByRank} (every rank's {@link #address()},
         * indexed by rank): connects to rank+1 and accepts rank-1, both authenticated with the job secret,
         * refusing (and logging) anything else. Blocks until both are up or {@link TcpOptions#connectTimeout()}
         * passes; then closes the listening socket (this listener is used up).
         *
         * @throws DistributedException naming the peer that did not connect, or the reason a connection failed
         */
        public synchronized TcpProcessGroup connect(int rank, List<String> addressesByRank) {
            if (closed) {
                throw new IllegalStateException("this listener was already closed or used by connect()");
            }
            Objects.requireNonNull(addressesByRank, "addressesByRank");
            int world = addressesByRank.size();
            if (rank < 0 || rank >= world) {
                throw new IllegalArgumentException("rank " + rank + " is outside [0, " + world + ") for "
                        + world + " addresses");
            }
            List<InetSocketAddress> parsed = new ArrayList<>();
            for (int r = 0; r < world; r++) {
                parsed.add(parse(addressesByRank.get(r), r));
            }
            try {
                if (world == 1) {
                    return new TcpProcessGroup(rank, addressesByRank, options, null);
                }
                RingConnector.Ring r = RingConnector.connect(server, secret, rank, parsed, options.connectTimeout());
                try {
                    Duplex link = new Duplex(rank, "rank " + (rank + 1) % world + " (" + addressesByRank.get((rank + 1)
                            % world) + ")", "rank " + (rank - 1 + world) % world + " (" + addressesByRank.get((rank - 1
                            + world) % world) + ")", r.toRight(), r.fromLeft(), options.opTimeout());
                    return new TcpProcessGroup(rank, addressesByRank, options, link);
                } catch (IOException e) {
                    RingConnector.closeQuietly(r.toRight());
                    RingConnector.closeQuietly(r.fromLeft());
                    throw new DistributedException("rank " + rank + " could not configure its ring sockets: "
                            + e.getMessage(), e);
                }
            } finally {
                close();
            }
        }

        /** Closes the listening socket and wipes the secret; idempotent. */
        @Override
        public synchronized void close() {
            if (!closed) {
                closed = true;
                Arrays.fill(secret, (byte) 0);
                RingConnector.closeQuietly(server);
            }
        }
    }

    @Override
    public int rank() {
        return rank;
    }

    @Override
    public int worldSize() {
        return world;
    }

    public TcpOptions options() {
        return options;
    }

    /** Every rank's address, indexed by rank. */
    public List<String> addresses() {
        return addresses;
    }

    /**
     * Ring all-reduce in place over {@code tensors} (contiguous, one dtype: float32/float64, or int32/int64
     * for SUM/MAX/MIN), treated as one flat array. World size 1 leaves them unchanged. GPU tensors are staged
     * through host copies ({@link HostStaging}).
     */
    @Override
    public void allReduce(List<Tensor> tensors, ReduceOp op) {
        Objects.requireNonNull(op, "op");
        HostStaging.run(tensors, true, host -> allReduceOnHost(host, op));
    }

    private void allReduceOnHost(List<Tensor> tensors, ReduceOp op) {
        FlatTensors flat = FlatTensors.of(tensors, "allReduce");
        Reducer.check(flat.dtype(), op);
        try {
            run("allReduce", seq -> {
                ring.allReduce(flat, op, new Reducer(flat.dtype(), op), scratch(), seq);
                flat.bumpVersions();
            });
        } finally {
            flat.release();
        }
    }

    @Override
    public void broadcast(Tensor tensor, int root) {
        if (root < 0 || root >= world) {
            throw new IllegalArgumentException("broadcast root " + root + " is outside [0, " + world + ")");
        }
        HostStaging.run(List.of(tensor), rank != root, host -> broadcastOnHost(host.get(0), root));
    }

    private void broadcastOnHost(Tensor tensor, int root) {
        FlatTensors flat = FlatTensors.of(List.of(tensor), "broadcast");
        try {
            run("broadcast", seq -> {
                ring.broadcast(flat, root, seq);
                if (rank != root) {
                    flat.bumpVersions();
                }
            });
        } finally {
            flat.release();
        }
    }

    @Override
    public byte[][] allGather(byte[] mine) {
        Objects.requireNonNull(mine, "mine");
        if (mine.length > options.maxMessageBytes()) {
            throw new IllegalArgumentException("allGather message of " + mine.length + " bytes exceeds maxMessageBytes="
                    + options.maxMessageBytes());
        }
        byte[] copy = mine.clone(); // the caller may reuse its array while the message travels
        byte[][][] result = {{copy}};
        run("allGather", seq -> result[0] = ring.allGather(copy, Kind.ALL_GATHER, seq));
        return result[0];
    }

    @Override
    public void barrier() {
        run("barrier", seq -> ring.allGather(new byte[0], Kind.BARRIER, seq));
    }

    /** A collective body, given its sequence number. */
    private interface Body {
        void run(long sequence);
    }

    /**
     * Runs one collective under the op lock: fails fast on a closed or failed group; world size 1 only counts it;
     * any failure while bytes move marks the group failed and shuts its sockets, so the peers fail too.
     */
    private void run(String what, Body body) {
        acquire(what);
        try {
            checkUsable(what);
            long seq = sequence++;
            if (world == 1) {
                return;
            }
            body.run(seq);
        } catch (RuntimeException e) {
            if (failure == null && !closed) {
                failure = e.getMessage();
                link.close();
            }
            throw e instanceof DistributedException ? e : new DistributedException("rank " + rank + " failed during "
                    + what + ": " + e, e);
        } finally {
            opLock.unlock();
            if ((closed || failure != null) && link != null) {
                link.release(); // no collective can run any more: free the selectors and the sender thread
            }
        }
    }

    private void acquire(String what) {
        try {
            if (!opLock.tryLock(options.opTimeout().toNanos(), TimeUnit.NANOSECONDS)) {
                throw new DistributedException("rank " + rank + " timed out after " + options.opTimeout() + " waiting "
                        + "to start " + what + ": another collective on this process group is still running");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new DistributedException("rank " + rank + " was interrupted waiting to start " + what);
        }
    }

    private void checkUsable(String what) {
        if (closed) {
            throw new DistributedException("rank " + rank + " cannot run " + what + ": the process group was closed");
        }
        if (failure != null) {
            throw new DistributedException("rank " + rank + " cannot run " + what + ": the process group failed "
                    + "earlier and is unusable (" + failure + ")");
        }
    }

    private ByteBuffer scratch() {
        if (scratch == null) {
            scratch = ByteBuffer.allocateDirect(options.scratchBytes());
        }
        return scratch;
    }

    /** Shuts the sockets down (peers in a collective with this rank fail promptly); idempotent, any thread. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (link != null) {
            link.close();
            if (opLock.tryLock()) { // else the collective in flight releases the selector when it unwinds
                try {
                    link.release();
                } finally {
                    opLock.unlock();
                }
            }
        }
    }

    @Override
    public String toString() {
        return "TcpProcessGroup(rank " + rank + " of " + world + (closed ? ", closed" : failure != null ? ", failed"
                : "") + ")";
    }

    static String format(InetSocketAddress a) {
        String host = a.getAddress() != null ? a.getAddress().getHostAddress() : a.getHostString();
        return (a.getAddress() instanceof Inet6Address ? "[" + host + "]" : host) + ":" + a.getPort();
    }

    static InetSocketAddress parse(String address, int rank) {
        if (address == null) {
            throw new IllegalArgumentException("address of rank " + rank + " is null");
        }
        int colon = address.lastIndexOf(':');
        String host = colon > 0 ? address.substring(0, colon) : "";
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        try {
            int port = Integer.parseInt(address.substring(colon + 1));
            if (host.isEmpty() || port < 1 || port > 65535) {
                throw new NumberFormatException();
            }
            return new InetSocketAddress(host, port);
        } catch (NumberFormatException | IndexOutOfBoundsException e) {
            throw new IllegalArgumentException("address of rank " + rank + " is \"" + address
                    + "\", expected host:port");
        }
    }
}
