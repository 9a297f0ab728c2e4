package dev.kiln.distributed;

import dev.kiln.distributed.Duplex.Incoming;
import dev.kiln.distributed.Duplex.Outgoing;
import java.nio.ByteBuffer;
import java.util.function.LongSupplier;

/** The byte streams of ring steps: slices of a {@link FlatTensors} range sent, received in place, or reduced. */
final class Ranges {
    private Ranges() {
    }

    /** Sends flat bytes {@code [from, to)} straight from the tensors' memory. */
    static Outgoing send(FlatTensors flat, long from, long to) {
        return send(flat, from, to, () -> to);
    }

    /**
     * Sends flat bytes {@code [from, to)}, but never past {@code available} (broadcast forwards bytes as they
     * arrive from the left).
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

    /** Receives flat bytes {@code [from, to)} straight into the tensors' memory (all-gather, broadcast). */
    static Incoming receive(FlatTensors flat, long from, long to) {
        return new Incoming() {
            private long pos = from; // first byte not yet covered by a view
            private ByteBuffer view;

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
            }

            @Override
            public boolean done() {
                return pos >= to && (view == null || !view.hasRemaining());
            }

            @Override
            public long receivedBytes() {
                return pos - from - (view == null ? 0 : view.remaining());
            }
        };
    }

    /**
     * Receives flat bytes {@code [from, to)} into the bounded {@code scratch} buffer and combines them into the
     * tensors with {@code reducer} (reduce-scatter). Whole elements are applied in batches of at least
     * {@link #APPLY_BYTES}, so the loop spends its time in the vectorised reduce rather than in per-read overhead,
     * while the batch is still cache-warm from the socket copy.
     */
    static Incoming reduce(FlatTensors flat, long from, long to, ByteBuffer scratch, Reducer reducer) {
        scratch.clear();
        int esz = flat.elementSize();
        return new Incoming() {
            private long applied = from; // flat position of the next byte to combine

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
                while (pos < whole) {
                    ByteBuffer dst = flat.view(applied, whole - pos);
                    int len = dst.remaining();
                    reducer.combine(scratch, pos, dst, len);
                    pos += len;
                    applied += len;
                }
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
        };
    }

    static final int APPLY_BYTES = 256 << 10;
}
