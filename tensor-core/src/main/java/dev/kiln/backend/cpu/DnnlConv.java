package dev.kiln.backend.cpu;

import dev.kiln.backend.Window2d;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;

/**
 * float32 2-d convolution through oneDNN's direct convolution primitives (what libtorch runs on CPU), on raw
 * addresses of contiguous tensors: {@code src [N, C, H, W]}, {@code weight [OC, C/groups, kh, kw]},
 * {@code bias [OC]} (or 0), {@code dst [N, OC, oh, ow]}:
 * {@code dst[n, o, y, x] = bias[o] + sum_{c in group(o), i, j} weight[o, c, i, j]
 *     * src[n, c, y*sh - ph + i*dh, x*sw - pw + j*dw]},
 * and its two gradients (backward data: {@code diffSrc} from {@code diffDst} and the weights; backward weights:
 * {@code diffWeight} and {@code diffBias} from {@code src} and {@code diffDst}).
 *
 * <p>Primitives are cached by shape in a small LRU shared by all threads (several Spark tasks per JVM): creating one
 * JIT-compiles a kernel, which costs milliseconds. A shape oneDNN cannot run is remembered and answered with
 * {@code false}, so the caller's im2col + GEMM path takes it.
 *
 * <p>Used under the same condition as {@link DnnlGemm} ({@link DnnlGemm#use()}: oneDNN loaded, not switched off,
 * and this thread may use every core, since oneDNN's OpenMP team always does).
 */
final class DnnlConv {
    private static final int CAPACITY = 32;

    /** The sizes of one convolution: input {@code [n, c, h, w]}, {@code oc} output channels, window, groups. */
    record Geometry(long n, long c, long h, long w, long oc, Window2d win, int groups) {
        /** The geometry of a convolution of an {@code in}-shaped {@code [N, C, H, W]} input to {@code oc} channels. */
        static Geometry of(long[] in, long oc, Window2d win, int groups) {
            return new Geometry(in[0], in[1], in[2], in[3], oc, win, groups);
        }
    }

    enum Kind { FORWARD, BACKWARD_DATA, BACKWARD_WEIGHTS }

    /** What one cached primitive computes; {@code layout} is the src/weights/dst layout policy it was built with. */
    record Key(Kind kind, Geometry g, boolean bias, String layout) {
    }

    /** A cache slot: {@code prim} is null when oneDNN has no implementation for the key. */
    private static final class Entry {
        final DnnlPrimitive prim;
        int users;
        boolean evicted;

        Entry(DnnlPrimitive prim) {
            this.prim = prim;
        }
    }

    private static final Map<Key, Entry> CACHE = new LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<Key, Entry> eldest) {
            if (size() <= CAPACITY) {
                return false;
            }
            Entry e = eldest.getValue();
            e.evicted = true;
            if (e.users == 0 && e.prim != null) {
                e.prim.close();
            }
            return true;
        }
    };
    private static final LongAdder EXECUTED = new LongAdder();

    private DnnlConv() {
    }

    /** True when this class may be called on this thread ({@code -Dkiln.dnnl.conv=off} says never). */
    static boolean use() {
        return DnnlGemm.use() && !"off".equals(layout());
    }

    /** {@code dst = conv(src, weight) + bias} ({@code bias} 0: none); false, nothing written, if oneDNN can't. */
    static boolean forward(Geometry g, long src, long weight, long bias, long dst) {
        return bias != 0 ? run(new Key(Kind.FORWARD, g, true, layout()), src, weight, dst, bias)
                : run(new Key(Kind.FORWARD, g, false, layout()), src, weight, dst);
    }

    /** {@code diffSrc} (overwritten) = the adjoint of the convolution applied to {@code diffDst}. */
    static boolean backwardData(Geometry g, long diffDst, long weight, long diffSrc) {
        return run(new Key(Kind.BACKWARD_DATA, g, false, layout()), diffDst, weight, diffSrc);
    }

    /**
     * {@code diffWeight} (overwritten) {@code [o, c, i, j] = sum_{n,y,x} diffDst[n, o, y, x] * src[n, c, ...]} and,
     * unless {@code diffBias} is 0, {@code diffBias[o] = sum_{n,y,x} diffDst[n, o, y, x]}.
     */
    static boolean backwardWeights(Geometry g, long src, long diffDst, long diffWeight, long diffBias) {
        return diffBias != 0
                ? run(new Key(Kind.BACKWARD_WEIGHTS, g, true, layout()), src, diffDst, diffWeight, diffBias)
                : run(new Key(Kind.BACKWARD_WEIGHTS, g, false, layout()), src, diffDst, diffWeight);
    }

    /** How many primitives this class has run in this process (tests check that it, not the fallback, ran). */
    static long executed() {
        return EXECUTED.sum();
    }

    /**
     * The layouts oneDNN runs in, {@code src/weights/dst}: {@code plain} (the caller's nchw/oihw, no copies),
     * {@code any} (oneDNN's choice, reordered around each call) or {@code nhwc}; {@code -Dkiln.dnnl.conv} overrides
     * (read per call, so a benchmark can compare them in one run), {@code off} turns oneDNN convolution off.
     * Up to three policies separated by {@code ;} apply to forward, backward data and backward weights in turn.
     */
    static String layout() {
        return System.getProperty("kiln.dnnl.conv", "any/any/any");
    }

    private static boolean run(Key key, long... addresses) {
        Entry e = acquire(key);
        try {
            if (e.prim == null) {
                return false;
            }
            e.prim.execute(addresses);
            EXECUTED.increment();
            return true;
        } finally {
            release(e);
        }
    }

    private static Entry acquire(Key key) {
        synchronized (CACHE) {
            Entry e = CACHE.get(key);
            if (e == null) {
                // under the lock: creation is rare (once per shape) and JIT-compiles a kernel
                e = new Entry(DnnlConvPrimitives.create(key));
                CACHE.put(key, e);
            }
            e.users++;
            return e;
        }
    }

    private static void release(Entry e) {
        synchronized (CACHE) {
            e.users--;
            if (e.users == 0 && e.evicted && e.prim != null) {
                e.prim.close();
            }
        }
    }
}
