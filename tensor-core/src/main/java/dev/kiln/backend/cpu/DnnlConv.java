package dev.kiln.backend.cpu;

import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_BIAS;
import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_DST;
import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_SRC;
import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_WEIGHTS;

import dev.kiln.backend.Window2d;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;
import org.bytedeco.dnnl.dnnl_memory_desc;
import org.bytedeco.dnnl.dnnl_primitive_attr;
import org.bytedeco.dnnl.dnnl_primitive_desc;
import org.bytedeco.dnnl.global.dnnl;

/**
 * float32 2-d convolution through oneDNN's direct convolution primitives (what libtorch runs on CPU), on raw
 * addresses of contiguous tensors: {@code src [N, C, H, W]}, {@code weight [OC, C/groups, kh, kw]},
 * {@code bias [OC]} (or 0), {@code dst [N, OC, oh, ow]}:
 * {@code dst[n, o, y, x] = bias[o] + sum_{c in group(o), i, j} weight[o, c, i, j] * src[n, c, y*sh - ph + i*dh, x*sw - pw + j*dw]}.
 *
 * <p>Primitives are cached by shape in a small LRU shared by all threads (several Spark tasks per JVM): creating one
 * JIT-compiles a kernel, which costs milliseconds. A shape oneDNN cannot run is remembered and answered with
 * {@code false}, so the caller's im2col + GEMM path takes it.
 *
 * <p>Used under the same condition as {@link DnnlGemm} ({@link DnnlGemm#use()}: oneDNN loaded, not switched off,
 * and this thread may use every core, since oneDNN's OpenMP team always does).
 */
final class DnnlConv {
    private static final System.Logger LOG = System.getLogger(DnnlConv.class.getName());
    private static final int CAPACITY = 32;

    /** What one cached primitive computes; {@code layout} is the src/weights/dst layout policy it was built with. */
    private record Key(long n, long c, long h, long w, long oc, Window2d win, int groups, boolean bias, String layout) {
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
    private static boolean warned;

    private DnnlConv() {
    }

    /** True when {@link #forward} may be called on this thread ({@code -Dkiln.dnnl.conv=off} says never). */
    static boolean use() {
        return DnnlGemm.use() && !"off".equals(layout());
    }

    /**
     * The convolution above; returns false (nothing written) when oneDNN has no implementation for the shape.
     * Requires {@link #use()}.
     */
    static boolean forward(long n, long c, long h, long w, long oc, Window2d win, int groups, long src, long weight,
                           long bias, long dst) {
        Key key = new Key(n, c, h, w, oc, win, groups, bias != 0, layout());
        Entry e = acquire(key);
        try {
            if (e.prim == null) {
                return false;
            }
            if (bias != 0) {
                e.prim.execute(src, weight, dst, bias);
            } else {
                e.prim.execute(src, weight, dst);
            }
            EXECUTED.increment();
            return true;
        } finally {
            release(e);
        }
    }

    /** How many convolutions oneDNN has run in this process (tests check that it, not the fallback, ran). */
    static long executed() {
        return EXECUTED.sum();
    }

    /**
     * The layouts oneDNN runs in, {@code src/weights/dst}: {@code plain} (the caller's nchw/oihw, no copies),
     * {@code any} (oneDNN's choice, reordered around each call) or {@code nhwc}; {@code -Dkiln.dnnl.conv} overrides
     * (read per call, so a benchmark can compare them in one run), {@code off} turns oneDNN convolution off.
     */
    static String layout() {
        return System.getProperty("kiln.dnnl.conv", "any/any/any");
    }

    private static Entry acquire(Key key) {
        synchronized (CACHE) {
            Entry e = CACHE.get(key);
            if (e == null) {
                e = new Entry(create(key)); // under the lock: creation is rare and JIT-compiles once per shape
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

    private static DnnlPrimitive create(Key k) {
        Window2d win = k.win;
        long[] srcDims = {k.n, k.c, k.h, k.w};
        long[] dstDims = {k.n, k.oc, win.oh(), win.ow()};
        long[] weiDims = k.groups == 1 ? new long[] {k.oc, k.c, win.kh(), win.kw()}
                : new long[] {k.groups, k.oc / k.groups, k.c / k.groups, win.kh(), win.kw()};
        int weiTag = k.groups == 1 ? dnnl.dnnl_oihw : dnnl.dnnl_goihw;
        String[] layout = k.layout.split("/");
        dnnl_memory_desc srcUser = Dnnl.desc(srcDims, dnnl.dnnl_nchw);
        dnnl_memory_desc weiUser = Dnnl.desc(weiDims, weiTag);
        dnnl_memory_desc dstUser = Dnnl.desc(dstDims, dnnl.dnnl_nchw);
        dnnl_memory_desc biasUser = Dnnl.desc(new long[] {k.oc}, dnnl.dnnl_x);
        dnnl_memory_desc srcAsk = Dnnl.desc(srcDims, tag(layout[0], dnnl.dnnl_nchw));
        dnnl_memory_desc weiAsk = Dnnl.desc(weiDims, tag(layout[1], weiTag));
        dnnl_memory_desc dstAsk = Dnnl.desc(dstDims, tag(layout[2], dnnl.dnnl_nchw));
        dnnl_primitive_attr attr = Dnnl.userScratchpad();
        dnnl_primitive_desc pd = new dnnl_primitive_desc();
        try {
            int status = dnnl.dnnl_convolution_forward_primitive_desc_create(pd, Dnnl.engine(),
                    dnnl.dnnl_forward_inference, dnnl.dnnl_convolution_direct, srcAsk, weiAsk,
                    k.bias ? biasUser : null, dstAsk, new long[] {win.sh(), win.sw()},
                    new long[] {win.dh() - 1, win.dw() - 1}, new long[] {win.ph(), win.pw()}, padAfter(k),
                    attr);
            if (status != dnnl.dnnl_success) {
                note("no oneDNN convolution for " + k + " (status " + status + "); im2col + GEMM runs it");
                destroy(srcUser, weiUser, dstUser, biasUser);
                return null;
            }
            if (!k.bias) {
                dnnl.dnnl_memory_desc_destroy(biasUser);
                return new DnnlPrimitive(pd, new int[] {DNNL_ARG_SRC, DNNL_ARG_WEIGHTS, DNNL_ARG_DST},
                        new dnnl_memory_desc[] {srcUser, weiUser, dstUser}, new boolean[] {false, false, true});
            }
            return new DnnlPrimitive(pd, new int[] {DNNL_ARG_SRC, DNNL_ARG_WEIGHTS, DNNL_ARG_DST, DNNL_ARG_BIAS},
                    new dnnl_memory_desc[] {srcUser, weiUser, dstUser, biasUser},
                    new boolean[] {false, false, true, false});
        } finally {
            destroy(srcAsk, weiAsk, dstAsk);
            dnnl.dnnl_primitive_attr_destroy(attr);
        }
    }

    /**
     * Trailing padding that makes oneDNN's output size {@code (in + pl + pr - ((k-1)*d + 1)) / s + 1} equal the
     * window's {@code oh, ow} (which the op layer computed, possibly with asymmetric "same" padding).
     */
    private static long[] padAfter(Key k) {
        Window2d w = k.win;
        long ph = Math.max(0, (long) (w.oh() - 1) * w.sh() + (long) (w.kh() - 1) * w.dh() + 1 - k.h - w.ph());
        long pw = Math.max(0, (long) (w.ow() - 1) * w.sw() + (long) (w.kw() - 1) * w.dw() + 1 - k.w - w.pw());
        return new long[] {ph, pw};
    }

    private static int tag(String policy, int plain) {
        return switch (policy) {
            case "any" -> dnnl.dnnl_format_tag_any;
            case "nhwc" -> dnnl.dnnl_nhwc;
            default -> plain;
        };
    }

    private static void destroy(dnnl_memory_desc... mds) {
        for (dnnl_memory_desc md : mds) {
            dnnl.dnnl_memory_desc_destroy(md);
        }
    }

    private static void note(String message) {
        if (!warned) {
            warned = true;
            LOG.log(System.Logger.Level.INFO, "Kiln: " + message);
        }
    }
}
