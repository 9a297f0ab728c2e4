package dev.kiln.distributed;

import dev.kiln.distributed.Duplex.Incoming;
import dev.kiln.distributed.Duplex.Outgoing;
import java.nio.ByteBuffer;
import java.util.function.LongSupplier;

/**
 * The byte streams of ring steps: slices of a {@link FlatTensors} range sent, received in place, or reduced.
 * Progress counters are volatile: the send side runs on the group's sender thread and may be gated on what
 * the receive side (the caller's thread) has processed.
 */
final class Ranges {
    /** Reduce-scatter combines received bytes in batches of at least this much (see {@link #reduce}). */
    static final int APPLY_BYTES = 128 << 10;

    private Ranges() {
    }

    /** Sends flat bytes {@code [from, to)} straight from the tensors' memory. */
    static Outgoing send(FlatTensors flat, long from, long to) {
        return send(flat, from, to, () -> Long.MAX_VALUE);
    }

    /**
     * Sends flat bytes {@code [from, to)}, but never past the absolute position {@code available} (a byte is
     * forwarded only after it arrived and was processed).
     */
    static Outgoing send(FlatTensors flat, long from, long to, LongSupplier available) {
        return new Outgoing() {
            private long pos = from; // first byte not yet handed to a view
            private ByteBuffer view;

            @Override
            public ByteBuffer current() {
                if (view != null && view.hasRemaining()) {
                    return view;
                }
                long end = Math.min(to, available.getAsLong());
                if (pos >= end) {
                    return null;
                }
                view = flat.view(pos, end - pos);
                pos += view.remaining();
                return view;
            }

            @Override
            public boolean done() {
                return pos >= to && (view == null || !view.hasRemaining());
            }
        };
    }

    /** A sink that knows how many of its bytes are final (received, and combined if it reduces). */
    interface Sink extends Incoming {
        long processedBytes();
    }

    /** Receives flat bytes {@code [from, to)} straight into the tensors' memory (all-gather, broadcast). */
    static Sink receive(FlatTensors flat, long from, long to) {
        return new Sink() {
            private long pos = from; // first byte not yet covered by a view
            private ByteBuffer view;
            private volatile long filled;

            @Override
            public ByteBuffer target() {
                if (view != null && view.hasRemaining()) {
                    return view;
                }
                if (pos >= to) {
                    return null;
                }
                view = flat.view(pos, to - pos);
                pos += view.remaining();
                return view;
            }

            @Override
            public void received() {
                filled = pos - from - view.remaining();
            }

            @Override
            public boolean done() {
                return filled >= to - from;
            }

            @Override
            public long receivedBytes() {
                return filled;
            }

            @Override
            public long processedBytes() {
                return filled;
            }
        };
    }

    /**
     * Receives flat bytes {@code [from, to)} into the bounded {@code scratch} buffer and combines them into the
     * tensors with {@code reducer} (reduce-scatter), then divides by {@code divideBy} if it is above 1 (AVG, on
     * the rank that completes a chunk). Whole elements are applied in batches of at least {@link #APPLY_BYTES}:
     * large enough that time goes to the vectorised reduce rather than per-read overhead, small enough that the
     * next hop can forward them soon and the batch is still cache-warm from the socket copy.
     */
    static Sink reduce(FlatTensors flat, long from, long to, ByteBuffer scratch, Reducer reducer, int divideBy) {
        scratch.clear();
        int esz = flat.elementSize();
        return new Sink() {
            private volatile long applied = from; // flat position of the next byte to combine

            @Override
            public ByteBuffer target() {
                long pendingEnd = applied + scratch.position();
                if (pendingEnd >= to) {
                    return null;
                }
                scratch.limit((int) Math.min(scratch.capacity(), scratch.position() + (to - pendingEnd)));
                return scratch;
            }

            @Override
            public void received() {
                int pending = scratch.position();
                boolean last = applied + pending >= to;
                if (pending < APPLY_BYTES && !last && scratch.hasRemaining()) {
                    return;
                }
                int whole = pending - pending % esz;
                scratch.flip();
                int pos = 0;
                long at = applied;
                while (pos < whole) {
                    ByteBuffer dst = flat.view(at, whole - pos);
                    int len = dst.remaining();
                    reducer.combine(scratch, pos, dst, len);
                    if (divideBy > 1) {
                        reducer.divide(dst, divideBy);
                    }
                    pos += len;
                    at += len;
                }
                applied = at; // publish only after the bytes are final: the sender may forward them at once
                scratch.position(whole).limit(pending);
                scratch.compact(); // keeps a partial trailing element for the next read
            }

            @Override
            public boolean done() {
                return applied >= to;
            }

            @Override
            public long receivedBytes() {
                return applied - from + scratch.position();
            }

            @Override
            public long processedBytes() {
                return applied - from;
            }
        };
    }

    /** Runs sinks one after another as one stream; {@link #processed(int)} tells how far step k got. */
    static final class Steps implements Incoming {
        private final Sink[] sinks;
        private volatile int current;

        Steps(Sink[] sinks) {
            this.sinks = sinks;
            advance();
        }

        private void advance() {
            while (current < sinks.length && sinks[current].done()) {
                current++;
            }
        }

        /** Bytes of step {@code k}'s chunk that are final. */
        long processed(int k) {
            int c = current;
            return k < c ? Long.MAX_VALUE : k == c ? sinks[k].processedBytes() : 0;
        }

        @Override
        public ByteBuffer target() {
            return current < sinks.length ? sinks[current].target() : null;
        }

        @Override
        public void received() {
            sinks[current].received();
            advance();
        }

        @Override
        public boolean done() {
            return current >= sinks.length;
        }

        @Override
        public long receivedBytes() {
            return current < sinks.length ? sinks[current].receivedBytes() : 0;
        }

        int step() {
            return current;
        }
    }

    /** Sends one range per step, each gated on {@code gate(k)}: the absolute position step k may send up to. */
    static Outgoing steps(Outgoing[] parts) {
        return new Outgoing() {
            private int k;

            @Override
            public ByteBuffer current() {
                while (k < parts.length) {
                    ByteBuffer b = parts[k].current();
                    if (b != null) {
                        return b;
                    }
                    if (!parts[k].done()) {
                        return null; // gated: wait for the receive side
                    }
                    k++;
                }
                return null;
            }

            @Override
            public boolean done() {
                while (k < parts.length && parts[k].done()) {
                    k++;
                }
                return k >= parts.length;
            }
        };
    }
}
