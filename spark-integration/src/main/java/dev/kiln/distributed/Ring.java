package dev.kiln.distributed;

import dev.kiln.distributed.Frames.Header;
import dev.kiln.distributed.Frames.Kind;
import dev.kiln.tensor.DType;
import java.nio.ByteBuffer;

/**
 * The collectives as ring algorithms over one rank's {@link Duplex} (send right, receive left).
 *
 * <p><b>All-reduce</b> (Patarasuk and Yuan's bandwidth-optimal ring, as in Horovod and NCCL): the flat range of
 * {@code N} elements is cut into {@code n} chunks of {@code N/n} (sizes differ by at most one; some are empty when
 * {@code N < n}). Reduce-scatter: in step {@code s = 0..n-2} rank {@code r} sends chunk {@code r-s} and combines
 * the incoming chunk {@code r-s-1} into its own copy, so after {@code n-1} steps it holds chunk {@code r+1}
 * reduced over all ranks (divided by {@code n} there for AVG). All-gather: in step {@code s} it sends chunk
 * {@code r+1-s} and overwrites chunk {@code r-s} with the incoming final values. Each rank sends and receives
 * {@code 2(n-1)/n * N} elements; bus bandwidth is defined from that. Every chunk is reduced on exactly one rank
 * and then copied, so all ranks end with bit-identical results.
 *
 * <p>The {@code 2(n-1)} steps run as one pipelined stream, not in lockstep: step {@code k} sends exactly the
 * chunk step {@code k-1} received, so each byte is forwarded as soon as it arrived and was combined (NCCL's
 * slicing, at the granularity of {@link Ranges#APPLY_BYTES}). That removes the drain-and-refill bubble at every
 * step boundary. It is safe because a rank only overwrites a byte of chunk {@code c} (all-gather) after the
 * final value came back around the ring, which needed its own earlier send of that byte.
 *
 * <p><b>Broadcast</b>: a pipelined chain root → root+1 → ...: each rank forwards bytes to the right as soon as
 * they arrive from the left. <b>All-gather</b> of byte messages: {@code n-1} steps passing messages around.
 */
final class Ring {
    private final Duplex link;
    private final int rank;
    private final int world;
    private final int maxMessageBytes;

    Ring(Duplex link, int rank, int world, int maxMessageBytes) {
        this.link = link;
        this.rank = rank;
        this.world = world;
        this.maxMessageBytes = maxMessageBytes;
    }

    private int mod(long x) {
        return (int) Math.floorMod(x, world);
    }

    /** First element of ring chunk {@code c} of {@code n} elements. */
    private long chunkStart(long n, int c) {
        long base = n / world;
        long rem = n % world;
        return c * base + Math.min(c, rem);
    }

    void allReduce(FlatTensors flat, ReduceOp op, Reducer reducer, ByteBuffer scratch, long sequence) {
        Header mine = new Header(Kind.ALL_REDUCE, flat.dtype().ordinal(), op.ordinal(), sequence, flat.numel(), -1);
        String name = "allReduce #" + sequence;
        long n = flat.numel();
        int esz = flat.elementSize();
        int steps = 2 * (world - 1);
        int[] sendChunk = new int[steps];
        Ranges.Sink[] sinks = new Ranges.Sink[steps];
        for (int k = 0; k < steps; k++) {
            boolean reduceScatter = k < world - 1;
            int s = reduceScatter ? k : k - (world - 1);
            sendChunk[k] = reduceScatter ? mod(rank - s) : mod(rank + 1 - s);
            int recv = reduceScatter ? mod(rank - s - 1) : mod(rank - s);
            long lo = chunkStart(n, recv) * esz;
            long hi = chunkStart(n, recv + 1) * esz;
            int divideBy = k == world - 2 && op == ReduceOp.AVG ? world : 1; // the step that completes a chunk
            sinks[k] = reduceScatter ? Ranges.reduce(flat, lo, hi, scratch, reducer, divideBy)
                    : Ranges.receive(flat, lo, hi);
        }
        // The header travels first in the same stream (no extra round trip): the left neighbour's header is
        // checked before any of its data bytes is interpreted, and data sent right behind ours is never
        // interpreted by a right neighbour that finds our header wrong.
        Ranges.Sink[] all = new Ranges.Sink[steps + 1];
        all[0] = headerSink(mine, name);
        System.arraycopy(sinks, 0, all, 1, steps);
        Ranges.Steps in = new Ranges.Steps(all);
        Duplex.Outgoing[] parts = new Duplex.Outgoing[steps + 1];
        parts[0] = out(mine.encode());
        for (int k = 0; k < steps; k++) {
            long lo = chunkStart(n, sendChunk[k]) * esz;
            long hi = chunkStart(n, sendChunk[k] + 1) * esz;
            int previous = k; // (index in `all`) step k forwards the chunk step k-1 received, once it is final
            parts[k + 1] = k == 0 ? Ranges.send(flat, lo, hi) : Ranges.send(flat, lo, hi, () -> {
                long done = in.processed(previous);
                return done == Long.MAX_VALUE ? Long.MAX_VALUE : lo + done;
            });
        }
        link.transfer(Ranges.steps(parts), in, name);
    }

    void broadcast(FlatTensors flat, int root, long sequence) {
        Header mine = new Header(Kind.BROADCAST, flat.dtype().ordinal(), -1, sequence, flat.numel(), root);
        String name = "broadcast #" + sequence + " from rank " + root;
        boolean forwards = mod(rank + 1) != root;
        if (rank != root) {
            check(mine, receiveHeader(name), name);
        }
        if (forwards) {
            link.transfer(out(mine.encode()), Duplex.NOTHING_IN, name + " header");
        }
        long total = flat.byteSize();
        if (rank == root) {
            link.transfer(Ranges.send(flat, 0, total), Duplex.NOTHING_IN, name);
        } else {
            Duplex.Incoming in = Ranges.receive(flat, 0, total);
            Duplex.Outgoing out = forwards ? Ranges.send(flat, 0, total, in::receivedBytes) : Duplex.NOTHING_OUT;
            link.transfer(out, in, name);
        }
    }

    byte[][] allGather(byte[] mine, Kind kind, long sequence) {
        byte[][] all = new byte[world][];
        all[rank] = mine;
        String name = kind.apiName + " #" + sequence;
        for (int s = 0; s < world - 1; s++) {
            int sendOrigin = mod(rank - s);
            int recvOrigin = mod(rank - s - 1);
            String step = name + " step " + (s + 1) + "/" + (world - 1);
            Header out = new Header(kind, -1, -1, sequence, all[sendOrigin].length, sendOrigin);
            ByteBuffer in = ByteBuffer.allocate(Frames.BYTES);
            link.transfer(out(out.encode()), in(in), step + " header");
            Header got = Frames.Header.decode(in);
            Header expected = new Header(kind, -1, -1, sequence, got == null ? 0 : got.count(), recvOrigin);
            check(expected, got, step);
            if (got.count() < 0 || got.count() > maxMessageBytes) {
                throw new DistributedException(link.leftPeer() + " announced a " + got.count() + "-byte message in "
                        + step + ", outside [0, maxMessageBytes=" + maxMessageBytes + "]");
            }
            byte[] payload = new byte[(int) got.count()];
            link.transfer(out(ByteBuffer.wrap(all[sendOrigin])), in(ByteBuffer.wrap(payload)), step);
            all[recvOrigin] = payload;
        }
        return all;
    }

    /** Receives the left neighbour's header and checks it against {@code mine} as soon as it is complete. */
    private Ranges.Sink headerSink(Header mine, String name) {
        ByteBuffer buf = ByteBuffer.allocate(Frames.BYTES);
        return new Ranges.Sink() {
            public ByteBuffer target() {
                return buf.hasRemaining() ? buf : null;
            }

            public void received() {
                if (!buf.hasRemaining()) {
                    check(mine, Frames.Header.decode(buf.duplicate().position(Frames.BYTES)), name);
                }
            }

            public boolean done() {
                return !buf.hasRemaining();
            }

            public long receivedBytes() {
                return buf.position();
            }

            public long processedBytes() {
                return done() ? Frames.BYTES : 0;
            }
        };
    }

    private Header receiveHeader(String name) {
        ByteBuffer in = ByteBuffer.allocate(Frames.BYTES);
        link.transfer(Duplex.NOTHING_OUT, in(in), name + " header");
        return Frames.Header.decode(in);
    }

    private void check(Header mine, Header theirs, String name) {
        if (theirs == null) {
            throw new DistributedException("rank " + rank + " received garbage instead of a collective header from "
                    + link.leftPeer() + " during " + name + " (not a Kiln peer, or the streams are out of step)");
        }
        if (!mine.equals(theirs)) {
            throw new DistributedException("collective mismatch: rank " + rank + " called " + describe(mine)
                    + ", but its left neighbour " + link.leftPeer() + " called " + describe(theirs) + ". Every rank "
                    + "must call the same collectives in the same order, with tensors of the same total size and "
                    + "dtype and the same op and root");
        }
    }

    static String describe(Header h) {
        StringBuilder b = new StringBuilder(h.kind().apiName).append(" #").append(h.sequence());
        switch (h.kind()) {
            case ALL_REDUCE, BROADCAST -> {
                b.append(" over ").append(h.count()).append(" elements of ").append(dtypeName(h.dtype()));
                if (h.kind() == Kind.ALL_REDUCE) {
                    b.append(" with ").append(h.op() >= 0 && h.op() < ReduceOp.values().length
                            ? ReduceOp.values()[h.op()] : "op " + h.op());
                } else {
                    b.append(" from root ").append(h.rank());
                }
            }
            case ALL_GATHER, BARRIER -> b.append(" (passing rank ").append(h.rank()).append("'s ")
                    .append(h.count()).append("-byte message)");
        }
        return b.toString();
    }

    private static String dtypeName(int ordinal) {
        return ordinal >= 0 && ordinal < DType.values().length ? DType.values()[ordinal].torchName() : "dtype " + ordinal;
    }

    /** A one-buffer stream, for headers and messages. */
    private static Duplex.Outgoing out(ByteBuffer b) {
        return new Duplex.Outgoing() {
            public ByteBuffer current() {
                return b.hasRemaining() ? b : null;
            }

            public boolean done() {
                return !b.hasRemaining();
            }
        };
    }

    private static Duplex.Incoming in(ByteBuffer b) {
        return new Duplex.Incoming() {
            public ByteBuffer target() {
                return b.hasRemaining() ? b : null;
            }

            public void received() {
            }

            public boolean done() {
                return !b.hasRemaining();
            }

            public long receivedBytes() {
                return b.position();
            }
        };
    }
}

