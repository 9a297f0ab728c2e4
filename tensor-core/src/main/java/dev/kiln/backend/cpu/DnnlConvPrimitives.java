package dev.kiln.backend.cpu;

import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_BIAS;
import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_DIFF_BIAS;
import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_DIFF_DST;
import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_DIFF_SRC;
import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_DIFF_WEIGHTS;
import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_DST;
import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_SRC;
import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_WEIGHTS;

import dev.kiln.backend.Window2d;
import dev.kiln.backend.cpu.DnnlConv.Geometry;
import dev.kiln.backend.cpu.DnnlConv.Key;
import org.bytedeco.dnnl.dnnl_memory_desc;
import org.bytedeco.dnnl.dnnl_primitive_attr;
import org.bytedeco.dnnl.dnnl_primitive_desc;
import org.bytedeco.dnnl.global.dnnl;

/**
 * Builds the oneDNN convolution primitive a {@link DnnlConv.Key} names: the descriptors of the caller's plain
 * tensors (nchw, oihw or goihw, x), the descriptors the primitive may choose from (the key's layout policy), and the
 * primitive descriptor ({@code dnnl_convolution_direct}; backward ones with the forward-training hint oneDNN
 * requires). Arguments are listed in the order {@link DnnlConv}'s entry points pass their addresses.
 */
final class DnnlConvPrimitives {
    private static final System.Logger LOG = System.getLogger(DnnlConvPrimitives.class.getName());
    private static volatile boolean noted;

    private DnnlConvPrimitives() {
    }

    /** The primitive, or null (logged once per process) when oneDNN has no implementation for the key. */
    static DnnlPrimitive create(Key k) {
        Descs d = new Descs(k.g(), policy(k.layout(), k.kind().ordinal()));
        dnnl_primitive_attr attr = Dnnl.userScratchpad();
        dnnl_primitive_desc pd = new dnnl_primitive_desc();
        try {
            int status = switch (k.kind()) {
                case FORWARD -> forward(pd, d, k.bias(), dnnl.dnnl_forward_inference, attr);
                case BACKWARD_DATA -> backwardData(pd, d, attr);
                case BACKWARD_WEIGHTS -> backwardWeights(pd, d, k.bias(), attr);
            };
            if (status != dnnl.dnnl_success) {
                note("no oneDNN convolution for " + k + " (status " + status + "); im2col + GEMM runs it");
                d.destroyUser();
                return null;
            }
            try {
                DnnlPrimitive p = primitive(k, pd, d);
                LOG.log(System.Logger.Level.DEBUG, () -> "Kiln: oneDNN " + p.impl
                        + (p.reorders() ? " with reorders" : "") + " for " + k);
                return p;
            } catch (IllegalStateException e) {
                note("oneDNN convolution for " + k + " failed to build (" + e.getMessage()
                        + "); im2col + GEMM runs it"); // the constructor destroyed pd and the descriptors
                return null;
            }
        } finally {
            d.destroyAsk();
            dnnl.dnnl_primitive_attr_destroy(attr);
        }
    }

    private static DnnlPrimitive primitive(Key k, dnnl_primitive_desc pd, Descs d) {
        boolean in = false;
        boolean out = true;
        if (!k.bias()) {
            dnnl.dnnl_memory_desc_destroy(d.biasUser);
        }
        return switch (k.kind()) {
            case FORWARD -> k.bias()
                    ? new DnnlPrimitive(pd, new int[] {DNNL_ARG_SRC, DNNL_ARG_WEIGHTS, DNNL_ARG_DST, DNNL_ARG_BIAS},
                            new dnnl_memory_desc[] {d.srcUser, d.weiUser, d.dstUser, d.biasUser},
                            new boolean[] {in, in, out, in})
                    : new DnnlPrimitive(pd, new int[] {DNNL_ARG_SRC, DNNL_ARG_WEIGHTS, DNNL_ARG_DST},
                            new dnnl_memory_desc[] {d.srcUser, d.weiUser, d.dstUser}, new boolean[] {in, in, out});
            case BACKWARD_DATA -> new DnnlPrimitive(pd,
                    new int[] {DNNL_ARG_DIFF_DST, DNNL_ARG_WEIGHTS, DNNL_ARG_DIFF_SRC},
                    new dnnl_memory_desc[] {d.dstUser, d.weiUser, d.srcUser}, new boolean[] {in, in, out});
            case BACKWARD_WEIGHTS -> k.bias()
                    ? new DnnlPrimitive(pd, new int[] {DNNL_ARG_SRC, DNNL_ARG_DIFF_DST, DNNL_ARG_DIFF_WEIGHTS,
                        DNNL_ARG_DIFF_BIAS}, new dnnl_memory_desc[] {d.srcUser, d.dstUser, d.weiUser, d.biasUser},
                            new boolean[] {in, in, out, out})
                    : new DnnlPrimitive(pd, new int[] {DNNL_ARG_SRC, DNNL_ARG_DIFF_DST, DNNL_ARG_DIFF_WEIGHTS},
                            new dnnl_memory_desc[] {d.srcUser, d.dstUser, d.weiUser}, new boolean[] {in, in, out});
        };
    }

    private static int forward(dnnl_primitive_desc pd, Descs d, boolean bias, int prop, dnnl_primitive_attr attr) {
        return dnnl.dnnl_convolution_forward_primitive_desc_create(pd, Dnnl.engine(), prop,
                dnnl.dnnl_convolution_direct, d.srcAsk, d.weiAsk, bias ? d.biasUser : null, d.dstAsk, d.strides,
                d.dilates, d.padL, d.padR, attr);
    }

    private static int backwardData(dnnl_primitive_desc pd, Descs d, dnnl_primitive_attr attr) {
        dnnl_primitive_desc hint = new dnnl_primitive_desc();
        int status = forward(hint, d, false, dnnl.dnnl_forward_training, null);
        if (status != dnnl.dnnl_success) {
            return status;
        }
        try {
            return dnnl.dnnl_convolution_backward_data_primitive_desc_create(pd, Dnnl.engine(),
                    dnnl.dnnl_convolution_direct, d.srcAsk, d.weiAsk, d.dstAsk, d.strides, d.dilates, d.padL, d.padR,
                    hint, attr);
        } finally {
            dnnl.dnnl_primitive_desc_destroy(hint);
        }
    }

    private static int backwardWeights(dnnl_primitive_desc pd, Descs d, boolean bias, dnnl_primitive_attr attr) {
        dnnl_primitive_desc hint = new dnnl_primitive_desc();
        int status = forward(hint, d, bias, dnnl.dnnl_forward_training, null);
        if (status != dnnl.dnnl_success) {
            return status;
        }
        try {
            return dnnl.dnnl_convolution_backward_weights_primitive_desc_create(pd, Dnnl.engine(),
                    dnnl.dnnl_convolution_direct, d.srcAsk, d.weiAsk, bias ? d.biasUser : null, d.dstAsk, d.strides,
                    d.dilates, d.padL, d.padR, hint, attr);
        } finally {
            dnnl.dnnl_primitive_desc_destroy(hint);
        }
    }

    /** The caller's descriptors ({@code *User}), the ones the primitive may choose from ({@code *Ask}), the window. */
    private static final class Descs {
        final dnnl_memory_desc srcUser;
        final dnnl_memory_desc weiUser;
        final dnnl_memory_desc dstUser;
        final dnnl_memory_desc biasUser;
        final dnnl_memory_desc srcAsk;
        final dnnl_memory_desc weiAsk;
        final dnnl_memory_desc dstAsk;
        final long[] strides;
        final long[] dilates;
        final long[] padL;
        final long[] padR;

        Descs(Geometry g, String layout) {
            Window2d win = g.win();
            long[] src = {g.n(), g.c(), g.h(), g.w()};
            long[] dst = {g.n(), g.oc(), win.oh(), win.ow()};
            long[] wei = g.groups() == 1 ? new long[] {g.oc(), g.c(), win.kh(), win.kw()}
                    : new long[] {g.groups(), g.oc() / g.groups(), g.c() / g.groups(), win.kh(), win.kw()};
            int weiTag = g.groups() == 1 ? dnnl.dnnl_oihw : dnnl.dnnl_goihw;
            String[] policy = layout.split("/");
            srcUser = Dnnl.desc(src, dnnl.dnnl_nchw);
            weiUser = Dnnl.desc(wei, weiTag);
            dstUser = Dnnl.desc(dst, dnnl.dnnl_nchw);
            biasUser = Dnnl.desc(new long[] {g.oc()}, dnnl.dnnl_x);
            srcAsk = Dnnl.desc(src, tag(policy[0], dnnl.dnnl_nchw));
            weiAsk = Dnnl.desc(wei, tag(policy[1], weiTag));
            dstAsk = Dnnl.desc(dst, tag(policy[2], dnnl.dnnl_nchw));
            strides = new long[] {win.sh(), win.sw()};
            dilates = new long[] {win.dh() - 1, win.dw() - 1}; // oneDNN counts the gaps: 0 = dense
            padL = new long[] {win.ph(), win.pw()};
            padR = new long[] {padAfter(win.oh(), win.sh(), win.kh(), win.dh(), g.h(), win.ph()),
                padAfter(win.ow(), win.sw(), win.kw(), win.dw(), g.w(), win.pw())};
        }

        void destroyUser() {
            destroy(srcUser, weiUser, dstUser, biasUser);
        }

        void destroyAsk() {
            destroy(srcAsk, weiAsk, dstAsk);
        }
    }

    /**
     * The {@code src/weights/dst} policy for kind number {@code kind} (forward, backward data, backward weights):
     * {@code layout} is one policy for all, or up to three separated by {@code ;} (the last repeats).
     */
    static String policy(String layout, int kind) {
        String[] perKind = layout.split(";");
        return perKind[Math.min(kind, perKind.length - 1)];
    }

    /**
     * Trailing padding that makes oneDNN's output size {@code (in + pl + pr - ((k-1)*d + 1)) / s + 1} equal the
     * window's (which the op layer computed, possibly with asymmetric "same" padding).
     */
    static long padAfter(long out, long s, long k, long d, long in, long before) {
        return Math.max(0, (out - 1) * s + (k - 1) * d + 1 - in - before);
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
        if (!noted) {
            noted = true;
            LOG.log(System.Logger.Level.INFO, "Kiln: " + message);
        }
    }
}
