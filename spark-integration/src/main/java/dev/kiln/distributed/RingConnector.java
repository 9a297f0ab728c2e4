package dev.kiln.distributed;

import java.io.IOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Builds the ring: rank r connects to rank r+1's listener (its right neighbour, where it will send) while
 * accepting rank r-1 (its left neighbour, from which it will receive), both at once so no rank waits on another
 * in a cycle. Each accepted connection is authenticated on its own short-lived thread (at most
 * {@value #MAX_PENDING_HANDSHAKES} at a time, each bounded by {@value #HANDSHAKE_SECONDS} s), so a stranger that
 * connects and stalls, or fails the secret, is refused and logged without delaying the real neighbour.
 */
final class RingConnector {
    private static final System.Logger LOG = System.getLogger(TcpProcessGroup.class.getName());
    static final int MAX_PENDING_HANDSHAKES = 8;
    static final int HANDSHAKE_SECONDS = 10;

    /** The two authenticated channels of one rank: data goes right, comes from the left. */
    record Ring(SocketChannel toRight, SocketChannel fromLeft) {
    }

    private final ServerSocketChannel server;
    private final byte[] secret;
    private final int rank;
    private final int world;
    private final List<InetSocketAddress> addresses;
    private final Duration timeout;
    private final long deadline;
    private final Set<SocketChannel> handshaking = ConcurrentHashMap.newKeySet();
    private final LinkedBlockingQueue<SocketChannel> authenticated = new LinkedBlockingQueue<>();
    private final List<Thread> threads = new ArrayList<>();
    private final AtomicInteger refused = new AtomicInteger();
    private final CompletableFuture<SocketChannel> toRight = new CompletableFuture<>();
    private volatile Selector selector;
    private boolean ringBuilt;
    private volatile boolean finished; // set once run() is done: later handshake failures are expected

    private RingConnector(ServerSocketChannel server, byte[] secret, int rank, List<InetSocketAddress> addresses,
                          Duration timeout) {
        this.server = server;
        this.secret = secret;
        this.rank = rank;
        this.world = addresses.size();
        this.addresses = addresses;
        this.timeout = timeout;
        this.deadline = System.nanoTime() + timeout.toNanos();
    }

    static Ring connect(ServerSocketChannel server, byte[] secret, int rank, List<InetSocketAddress> addresses,
                        Duration timeout) {
        return new RingConnector(server, secret, rank, addresses, timeout).run();
    }

    private int right() {
        return (rank + 1) % world;
    }

    private int left() {
        return (rank - 1 + world) % world;
    }

    private String peer(int r) {
        return "rank " + r + " (" + TcpProcessGroup.format(addresses.get(r)) + ")";
    }

    private Ring run() {
        SocketChannel fromLeft = null;
        try (Selector sel = Selector.open()) {
            selector = sel;
            server.configureBlocking(false);
            server.register(sel, SelectionKey.OP_ACCEPT);
            start("kiln-ring-connect-r" + rank, this::connectRight);
            while ((fromLeft = authenticated.poll()) == null) {
                failIfConnectorFailed();
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    throw new DistributedException("rank " + rank + " timed out after " + timeout + " waiting for "
                            + peer(left()) + ", its left ring neighbour, to connect and prove the job secret"
                            + (refused.get() > 0 ? "; it refused " + refused.get() + " other connection(s), see the log"
                            : "") + ". Did rank " + left() + " start and call connect?");
                }
                sel.select(Math.max(1, TimeUnit.NANOSECONDS.toMillis(left)));
                sel.selectedKeys().clear();
                if (Thread.interrupted()) {
                    Thread.currentThread().interrupt();
                    throw new DistributedException("rank " + rank + " was interrupted while connecting the ring");
                }
                acceptPending();
            }
            SocketChannel right = awaitRight();
            ringBuilt = true;
            return new Ring(right, fromLeft);
        } catch (IOException e) {
            closeQuietly(fromLeft);
            throw new DistributedException("rank " + rank + " failed to set up the ring: " + e.getMessage(), e);
        } catch (RuntimeException e) {
            closeQuietly(fromLeft);
            throw e;
        } finally {
            cleanUp();
        }
    }

    private void acceptPending() throws IOException {
        SocketChannel c;
        while ((c = server.accept()) != null) {
            if (handshaking.size() >= MAX_PENDING_HANDSHAKES) {
                LOG.log(System.Logger.Level.WARNING, "rank " + rank + " refused a connection from " + remote(c)
                        + ": already " + MAX_PENDING_HANDSHAKES + " handshakes in progress");
                refused.incrementAndGet();
                closeQuietly(c);
                continue;
            }
            SocketChannel accepted = c;
            handshaking.add(accepted);
            start("kiln-ring-handshake-r" + rank, () -> authenticate(accepted));
        }
    }

    private void authenticate(SocketChannel c) {
        String from = remote(c);
        try {
            c.configureBlocking(false);
            long bound = Math.min(deadline, System.nanoTime() + TimeUnit.SECONDS.toNanos(HANDSHAKE_SECONDS));
            Handshake.accept(c, secret, rank, left(), world, bound);
            handshaking.remove(c); // before publishing it: cleanUp() closes whatever is still handshaking
            authenticated.add(c);
            selector.wakeup();
            return;
        } catch (Handshake.Refused e) {
            LOG.log(System.Logger.Level.WARNING, "rank " + rank + " refused a connection from " + from + ": "
                    + e.getMessage());
        } catch (IOException | RuntimeException e) {
            LOG.log(finished ? System.Logger.Level.DEBUG : System.Logger.Level.WARNING, "rank " + rank
                    + " dropped a connection from " + from + " during the handshake: "
                    + (finished ? "the ring setup ended" : String.valueOf(e.getMessage() != null ? e.getMessage() : e)));
        } finally {
            handshaking.remove(c);
        }
        refused.incrementAndGet();
        closeQuietly(c);
    }

    /** Connects to the right neighbour, retrying while its listener refuses (it may still be starting). */
    private void connectRight() {
        InetSocketAddress target = addresses.get(right());
        String what = "connecting to " + peer(right()) + ", the right ring neighbour of rank " + rank;
        try {
            SocketChannel ch;
            while (true) {
                try {
                    ch = TimedIo.connect(target, deadline, what);
                    break;
                } catch (ConnectException refusedNow) {
                    if (System.nanoTime() + 100_000_000L > deadline) {
                        throw refusedNow;
                    }
                    Thread.sleep(100);
                }
            }
            try {
                Handshake.connect(ch, secret, rank, right(), world, deadline);
            } catch (IOException | RuntimeException e) {
                closeQuietly(ch);
                throw e;
            }
            if (!toRight.complete(ch)) {
                closeQuietly(ch); // run() already gave up
            }
        } catch (InterruptedException e) {
            toRight.completeExceptionally(new IOException("interrupted while " + what));
        } catch (IOException | RuntimeException e) {
            toRight.completeExceptionally(new IOException("rank " + rank + " could not connect to " + peer(right())
                    + ", its right ring neighbour, within " + timeout + ": " + e.getMessage(), e));
        } finally {
            Selector s = selector;
            if (s != null) {
                s.wakeup();
            }
        }
    }

    private void failIfConnectorFailed() {
        if (toRight.isCompletedExceptionally()) {
            awaitRight(); // throws its cause
        }
    }

    private SocketChannel awaitRight() {
        try {
            long left = Math.max(0, deadline - System.nanoTime());
            return toRight.get(left, TimeUnit.NANOSECONDS);
        } catch (ExecutionException e) {
            throw new DistributedException(e.getCause().getMessage(), e.getCause());
        } catch (TimeoutException e) {
            throw new DistributedException("rank " + rank + " timed out after " + timeout + " connecting to "
                    + peer(right()) + ", its right ring neighbour (did it start and call connect?)");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new DistributedException("rank " + rank + " was interrupted while connecting the ring");
        }
    }

    private void start(String name, Runnable body) {
        Thread t = new Thread(body, name);
        t.setDaemon(true);
        threads.add(t);
        t.start();
    }

    /** Stops every helper thread and closes every channel that did not become part of the ring. */
    private void cleanUp() {
        toRight.completeExceptionally(new IOException("ring setup ended")); // no-op if it already completed
        if (!ringBuilt) {
            // Failing: let handshakes in flight finish briefly, so a peer we are about to drop (say, one with
            // another secret) still gets the refusal that explains it, not a bare closed connection.
            long grace = System.nanoTime() + 1_000_000_000L;
            for (Thread t : threads) {
                joinQuietly(t, Math.max(1, (grace - System.nanoTime()) / 1_000_000));
            }
        }
        finished = true;
        for (SocketChannel c : handshaking) {
            closeQuietly(c); // wakes the handshake thread's read with an error
        }
        for (Thread t : threads) {
            t.interrupt();
            joinQuietly(t, TimeUnit.SECONDS.toMillis(HANDSHAKE_SECONDS + 1));
        }
        for (SocketChannel c : handshaking) {
            closeQuietly(c);
        }
        SocketChannel extra;
        while ((extra = authenticated.poll()) != null) {
            closeQuietly(extra); // a second connection that also claimed to be the left neighbour
        }
        if (!ringBuilt && toRight.isDone() && !toRight.isCompletedExceptionally()) {
            closeQuietly(toRight.getNow(null)); // run() failed after the right side connected
        }
    }

    private static void joinQuietly(Thread t, long millis) {
        try {
            t.join(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    static String remote(SocketChannel c) {
        try {
            return String.valueOf(c.getRemoteAddress());
        } catch (IOException | RuntimeException e) {
            return "<unknown address>";
        }
    }

    static void closeQuietly(AutoCloseable c) {
        if (c != null) {
            try {
                c.close();
            } catch (Exception ignored) {
                // closing on an error path: the first error is the one to report
            }
        }
    }
}
