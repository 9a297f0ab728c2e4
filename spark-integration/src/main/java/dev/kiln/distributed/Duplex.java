package dev.kiln.distributed;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ClosedSelectorException;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * One rank's two ring channels, driven full-duplex from one thread: bytes go to the right neighbour while
 * bytes arrive from the left one, each side advancing whenever its socket is ready, so a ring step moving a
 * chunk far larger than the socket buffers cannot deadlock (every rank sends and receives at once) and both
 * directions of every link stay busy. Both channels are non-blocking and share one selector; the thread only
 * sleeps in {@code select} when neither side can move.
 *
 * <p>A wait fails after {@code opTimeout} without a single byte moving, naming the peer waited for.
 */
final class Duplex {
    /** Bytes to send, in order. */
    interface Outgoing {
        /** A buffer with bytes left to send now, or null if nothing is ready (or everything was sent). */
        ByteBuffer current();

        boolean done();
    }

    /** Where received bytes go. */
    interface Incoming {
        /** A buffer with room for the next bytes, or null when every expected byte has arrived. */
        ByteBuffer target();

        /** Called after a read put bytes into {@link #target()}'s buffer. */
        void received();

        boolean done();

        /** Bytes received so far, for error messages. */
        long receivedBytes();
    }

    static final Outgoing NOTHING_OUT = new Outgoing() {
        public ByteBuffer current() {
            return null;
        }

        public boolean done() {
            return true;
        }
    };

    static final Incoming NOTHING_IN = new Incoming() {
        public ByteBuffer target() {
            return null;
        }

        public void received() {
        }

        public boolean done() {
            return true;
        }

        public long receivedBytes() {
            return 0;
        }
    };

    private final int rank;
    private final String rightPeer;
    private final String leftPeer;
    private final SocketChannel right;
    private final SocketChannel left;
    private final Selector selector;
    private final SelectionKey rightKey;
    private final SelectionKey leftKey;
    private final Duration timeout;
    private volatile boolean closed;

    Duplex(int rank, String rightPeer, String leftPeer, SocketChannel right, SocketChannel left, Duration timeout)
            throws IOException {
        this.rank = rank;
        this.rightPeer = rightPeer;
        this.leftPeer = leftPeer;
        this.right = right;
        this.left = left;
        this.timeout = timeout;
        for (SocketChannel c : new SocketChannel[] {right, left}) {
            c.configureBlocking(false);
            c.socket().setTcpNoDelay(true); // control frames and ring steps are latency-bound when small
        }
        this.selector = Selector.open();
        this.rightKey = right.register(selector, 0);
        this.leftKey = left.register(selector, 0);
    }

    String rightPeer() {
        return rightPeer;
    }

    String leftPeer() {
        return leftPeer;
    }

    /**
     * Moves bytes both ways until {@code out} and {@code in} are both done. {@code what} describes the step
     * for errors ("allReduce #3 reduce-scatter step 1/2").
     */
    void transfer(Outgoing out, Incoming in, String what) {
        long idleSince = System.nanoTime();
        long sent = 0;
        try {
            while (!(out.done() && in.done())) {
                checkOpen(what);
                boolean moved = false;
                ByteBuffer s = out.current();
                if (s != null) {
                    int n = write(s, what);
                    sent += n;
                    moved = n > 0;
                }
                ByteBuffer t = in.target();
                if (t != null) {
                    int n = read(t, what);
                    if (n < 0) {
                        throw new DistributedException(leftPeer + " closed the connection while rank " + rank
                                + " was receiving " + what + " (" + in.receivedBytes() + " bytes received); it has "
                                + "probably failed or closed its process group, see its log");
                    }
                    if (n > 0) {
                        in.received();
                        moved = true;
                    }
                }
                if (moved) {
                    idleSince = System.nanoTime();
                    continue;
                }
                await(s, t, idleSince, what, sent, in.receivedBytes());
            }
        } catch (ClosedChannelException | ClosedSelectorException e) {
            throw new DistributedException("rank " + rank + "'s process group was closed during " + what, e);
        } catch (IOException e) {
            throw new DistributedException("rank " + rank + " failed waiting during " + what + ": " + e, e);
        }
    }

    private int write(ByteBuffer s, String what) throws IOException {
        try {
            return right.write(s);
        } catch (ClosedChannelException e) {
            throw e;
        } catch (IOException e) {
            throw new DistributedException("rank " + rank + " lost its connection to " + rightPeer + " while sending "
                    + what + ": " + e.getMessage() + "; the peer has probably failed, see its log", e);
        }
    }

    private int read(ByteBuffer t, String what) throws IOException {
        try {
            return left.read(t);
        } catch (ClosedChannelException e) {
            throw e;
        } catch (IOException e) {
            throw new DistributedException("rank " + rank + " lost its connection to " + leftPeer + " while receiving "
                    + what + ": " + e.getMessage() + "; the peer has probably failed, see its log", e);
        }
    }

    private void await(ByteBuffer s, ByteBuffer t, long idleSince, String what, long sent, long received)
            throws IOException {
        if (s == null && t == null) {
            throw new IllegalStateException("transfer of " + what + " is stuck: nothing to send and nothing to receive");
        }
        long waited = System.nanoTime() - idleSince;
        long left = timeout.toNanos() - waited;
        if (left <= 0) {
            String waitingFor = t != null ? leftPeer + " to send" : rightPeer + " to read what rank " + rank + " sent";
            throw new DistributedException("rank " + rank + " timed out after " + timeout + " waiting for "
                    + waitingFor + " during " + what + " (no byte moved; " + sent + " bytes sent, " + received
                    + " received in this step). The peer may be dead, stuck, or not calling the same collective.");
        }
        rightKey.interestOps(s != null ? SelectionKey.OP_WRITE : 0);
        leftKey.interestOps(t != null ? SelectionKey.OP_READ : 0);
        selector.select(Math.max(1, TimeUnit.NANOSECONDS.toMillis(left)));
        selector.selectedKeys().clear();
        if (Thread.interrupted()) {
            Thread.currentThread().interrupt();
            throw new DistributedException("rank " + rank + " was interrupted during " + what);
        }
    }

    private void checkOpen(String what) {
        if (closed) {
            throw new DistributedException("rank " + rank + "'s process group was closed during " + what);
        }
    }

    /**
     * Shuts the sockets down at once, so peers see the end of the stream immediately, and wakes a transfer in
     * progress; safe from any thread, idempotent. {@link #closeSelector()} finishes the job on the I/O thread.
     */
    void close() {
        closed = true;
        for (SocketChannel c : new SocketChannel[] {right, left}) {
            try {
                c.shutdownOutput();
            } catch (IOException | RuntimeException ignored) {
                // already closed or reset
            }
            RingConnector.closeQuietly(c);
        }
        selector.wakeup();
    }

    /** Releases the selector (and with it the channels' file descriptors); call when no transfer runs. */
    void closeSelector() {
        RingConnector.closeQuietly(selector);
    }
}
