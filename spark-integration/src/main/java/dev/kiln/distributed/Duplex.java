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
 * One rank's two ring channels, full-duplex: bytes go to the right neighbour on the group's sender thread while
 * the calling thread receives from the left one, so a ring step moving far more than the socket buffers hold
 * cannot deadlock (every rank sends and receives at once) and both directions of every link stay busy. Two
 * threads rather than one selector loop because the kernel's socket copies are the work: on a loaded machine a
 * single thread would serialise them. Small sends (headers, control messages) are written inline when the
 * socket takes them at once, without waking the sender.
 *
 * <p>Both channels are non-blocking, each with its own selector. A side fails after {@code opTimeout} without
 * a single byte moving, naming the peer it waited for; the sender waiting on the receive side (a gated forward)
 * leaves that timeout to the receiver. A failure on either side stops the other before {@link #transfer}
 * returns, so no thread touches tensor memory after a collective ends.
 */
final class Duplex {
    /** Bytes to send, in order. Called only from the sending thread. */
    interface Outgoing {
        /** A buffer with bytes left to send now, or null if nothing is ready yet (or everything was sent). */
        ByteBuffer current();

        boolean done();
    }

    /** Where received bytes go. Called only from the receiving thread. */
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
    private final Selector readSelector;
    private final Selector writeSelector;
    private final SelectionKey leftKey;
    private final Duration timeout;
    private final Sender sender;
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
            c.socket().setTcpNoDelay(true); // headers and small steps are latency-bound
        }
        this.readSelector = Selector.open();
        this.writeSelector = Selector.open();
        this.leftKey = left.register(readSelector, SelectionKey.OP_READ);
        right.register(writeSelector, SelectionKey.OP_WRITE);
        this.sender = new Sender(this, "kiln-ring-send-r" + rank);
    }

    String rightPeer() {
        return rightPeer;
    }

    String leftPeer() {
        return leftPeer;
    }

    int rank() {
        return rank;
    }

    Duration timeout() {
        return timeout;
    }

    boolean isClosed() {
        return closed;
    }

    /**
     * Moves bytes both ways until {@code out} and {@code in} are both done. {@code what} names the collective
     * for errors ("allReduce #3").
     */
    void transfer(Outgoing out, Incoming in, String what) {
        checkOpen(what);
        writeInline(out, what);
        Sender.Job job = out.done() ? null : sender.start(out, what);
        try {
            receive(in, what, job);
            if (job != null) {
                job.await(); // rethrows the sender's failure
            }
        } catch (RuntimeException e) {
            if (job != null) {
                job.cancel(); // and wait until it stopped touching the tensors
            }
            throw e;
        }
    }

    /** Writes what the socket takes right away on this thread (control messages never need the sender). */
    private void writeInline(Outgoing out, String what) {
        ByteBuffer s;
        while ((s = out.current()) != null) {
            if (write(s, what) == 0) {
                return;
            }
        }
    }

    private void receive(Incoming in, String what, Sender.Job job) {
        long idleSince = System.nanoTime();
        try {
            ByteBuffer t;
            while ((t = in.target()) != null) {
                checkOpen(what);
                if (job != null) {
                    job.rethrowIfFailed();
                }
                int n = read(t, what);
                if (n < 0) {
                    throw new DistributedException(leftPeer + " closed the connection while rank " + rank
                            + " was receiving " + what + " (" + in.receivedBytes() + " bytes received in this step); "
                            + "it has probably failed or closed its process group, see its log");
                }
                if (n > 0) {
                    in.received();
                    if (job != null) {
                        job.pumpFromReceiver(); // forward what just became final, or wake the sender
                    }
                    idleSince = System.nanoTime();
                    continue;
                }
                long left = timeout.toNanos() - (System.nanoTime() - idleSince);
                if (left <= 0) {
                    throw new DistributedException("rank " + rank + " timed out after " + timeout + " waiting for "
                            + leftPeer + " to send " + what + " (no byte arrived; " + in.receivedBytes()
                            + " bytes received in this step). The peer may be dead, stuck, or not calling the same "
                            + "collective.");
                }
                leftKey.interestOps(SelectionKey.OP_READ);
                readSelector.select(Math.max(1, TimeUnit.NANOSECONDS.toMillis(left)));
                readSelector.selectedKeys().clear();
                checkInterrupt(what);
            }
        } catch (ClosedSelectorException e) {
            throw closedDuring(what, e);
        } catch (IOException e) {
            throw new DistributedException("rank " + rank + " failed waiting to receive " + what + ": " + e, e);
        }
    }

    /** Sender side: writes what the socket accepts; returns bytes written (0 when its buffer is full). */
    int write(ByteBuffer s, String what) {
        try {
            return right.write(s);
        } catch (ClosedChannelException e) {
            throw closedDuring(what, e);
        } catch (IOException e) {
            throw new DistributedException("rank " + rank + " lost its connection to " + rightPeer + " while sending "
                    + what + ": " + e.getMessage() + "; the peer has probably failed, see its log", e);
        }
    }

    /** Sender side: waits up to {@code nanos} for the right channel to accept bytes. */
    void awaitWritable(long nanos, String what) {
        try {
            writeSelector.select(Math.max(1, TimeUnit.NANOSECONDS.toMillis(nanos)));
            writeSelector.selectedKeys().clear();
        } catch (ClosedSelectorException e) {
            throw closedDuring(what, e);
        } catch (IOException e) {
            throw new DistributedException("rank " + rank + " failed waiting to send " + what + ": " + e, e);
        }
    }

    void wakeWriter() {
        writeSelector.wakeup();
    }

    void wakeReader() {
        readSelector.wakeup();
    }

    private int read(ByteBuffer t, String what) {
        try {
            return left.read(t);
        } catch (ClosedChannelException e) {
            throw closedDuring(what, e);
        } catch (IOException e) {
            throw new DistributedException("rank " + rank + " lost its connection to " + leftPeer + " while receiving "
                    + what + ": " + e.getMessage() + "; the peer has probably failed, see its log", e);
        }
    }

    void checkOpen(String what) {
        if (closed) {
            throw closedDuring(what, null);
        }
    }

    void checkInterrupt(String what) {
        if (Thread.interrupted()) {
            Thread.currentThread().interrupt();
            throw new DistributedException("rank " + rank + " was interrupted during " + what);
        }
    }

    private DistributedException closedDuring(String what, Exception cause) {
        return new DistributedException("rank " + rank + "'s process group was closed during " + what, cause);
    }

    /**
     * Shuts the sockets down at once, so peers see the end of the stream immediately, and wakes both sides of a
     * transfer in progress; safe from any thread, idempotent. {@link #release()} finishes the job.
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
        readSelector.wakeup();
        writeSelector.wakeup();
        sender.stop();
    }

    /** Releases the selectors (and with them the channels' descriptors); call when no transfer runs. */
    void release() {
        RingConnector.closeQuietly(readSelector);
        RingConnector.closeQuietly(writeSelector);
        sender.join();
    }

}
