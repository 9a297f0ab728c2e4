package dev.kiln.distributed;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.util.concurrent.TimeUnit;

/**
 * Blocking-style reads and writes on a non-blocking channel that give up at a deadline, for the connection
 * handshake (plain blocking NIO reads have no timeout). Each call opens a short-lived selector; the handshake
 * moves a few hundred bytes, so that cost does not matter.
 */
final class TimedIo {
    private TimedIo() {
    }

    /** Thrown when the deadline passes; the message says what was awaited. */
    static final class Timeout extends IOException {
        Timeout(String message) {
            super(message);
        }
    }

    static void readFully(SocketChannel ch, ByteBuffer buf, long deadlineNanos, String what) throws IOException {
        try (Selector sel = Selector.open()) {
            SelectionKey key = ch.register(sel, SelectionKey.OP_READ);
            while (buf.hasRemaining()) {
                int n = ch.read(buf);
                if (n < 0) {
                    throw new IOException("connection closed by the peer while " + what + " (" + buf.position()
                            + " of " + buf.limit() + " bytes received)");
                }
                if (n == 0) {
                    await(sel, deadlineNanos, what);
                }
            }
            key.cancel();
        }
    }

    static void writeFully(SocketChannel ch, ByteBuffer buf, long deadlineNanos, String what) throws IOException {
        try (Selector sel = Selector.open()) {
            SelectionKey key = ch.register(sel, SelectionKey.OP_WRITE);
            while (buf.hasRemaining()) {
                if (ch.write(buf) == 0) {
                    await(sel, deadlineNanos, what);
                }
            }
            key.cancel();
        }
    }

    /** Connects a new non-blocking channel to {@code address}, or throws by the deadline. */
    static SocketChannel connect(InetSocketAddress address, long deadlineNanos, String what) throws IOException {
        SocketChannel ch = SocketChannel.open();
        try {
            ch.configureBlocking(false);
            if (!ch.connect(address)) {
                try (Selector sel = Selector.open()) {
                    ch.register(sel, SelectionKey.OP_CONNECT);
                    while (!ch.finishConnect()) {
                        await(sel, deadlineNanos, what);
                    }
                }
            }
            return ch;
        } catch (IOException | RuntimeException e) {
            ch.close();
            throw e;
        }
    }

    private static void await(Selector sel, long deadlineNanos, String what) throws IOException {
        long left = deadlineNanos - System.nanoTime();
        if (left <= 0) {
            throw new Timeout("timed out " + what);
        }
        sel.select(Math.max(1, TimeUnit.NANOSECONDS.toMillis(left)));
        sel.selectedKeys().clear();
        if (Thread.interrupted()) {
            Thread.currentThread().interrupt();
            throw new java.io.InterruptedIOException("interrupted " + what);
        }
    }
}
