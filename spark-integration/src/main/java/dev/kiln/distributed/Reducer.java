package dev.kiln.distributed;

import dev.kiln.tensor.DType;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.DoubleBuffer;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;

/**
 * Element-wise {@code dst = op(dst, src)} over native-order byte buffers, for reduce-scatter.
 *
 * <p>NOTE: like {@code backend/cpu/F32Loops}, the arithmetic runs over small Java-array tiles filled by bulk
 * buffer copies (memcpy intrinsics), because C2 vectorises array loops but not element-wise buffer access.
 * Sums accumulate in the tensors' own dtype, as NCCL and Gloo do (float32 stays float32). MAX and MIN propagate
 * NaN, like {@code torch.maximum}. One instance per group, used only under the group's op lock.
 */
final class Reducer {
    private static final int TILE = 2048;

    private final DType dtype;
    private final ReduceOp op;
    private final float[] fa = new float[TILE];
    private final float[] fb = new float[TILE];
    private final double[] da = new double[TILE];
    private final double[] db = new double[TILE];
    private final long[] la = new long[TILE];
    private final long[] lb = new long[TILE];

    Reducer(DType dtype, ReduceOp op) {
        this.dtype = dtype;
        this.op = op;
    }

    /** Checks that {@code op} is defined for {@code dtype} (the collective fails before any byte moves). */
    static void check(DType dtype, ReduceOp op) {
        switch (dtype) {
            case FLOAT32, FLOAT64 -> { }
            case INT64, INT32 -> {
                if (op == ReduceOp.AVG) {
                    throw new IllegalArgumentException("ReduceOp.AVG needs a floating point dtype, got "
                            + dtype.torchName() + " (use SUM and divide, or convert to float)");
                }
            }
            default -> throw new IllegalArgumentException("allReduce does not support " + dtype.torchName()
                    + "; supported: torch.float32, torch.float64, torch.int32, torch.int64");
        }
    }

    /** Combines {@code bytes} bytes of {@code src} from {@code srcPos} into {@code dst} from its position. */
    void combine(ByteBuffer src, int srcPos, ByteBuffer dst, int bytes) {
        ByteBuffer s = src.duplicate().order(ByteOrder.nativeOrder()).position(srcPos).limit(srcPos + bytes);
        ByteBuffer d = dst.duplicate().order(ByteOrder.nativeOrder()).limit(dst.position() + bytes);
        switch (dtype) {
            case FLOAT32 -> floats(s.asFloatBuffer(), d.asFloatBuffer());
            case FLOAT64 -> doubles(s.asDoubleBuffer(), d.asDoubleBuffer());
            case INT64 -> longs(s.asLongBuffer(), d.asLongBuffer());
            case INT32 -> ints(s, d);
            default -> throw new IllegalStateException("unchecked dtype " + dtype);
        }
    }

    private void floats(FloatBuffer s, FloatBuffer d) {
        int n = s.remaining();
        for (int i = 0; i < n; i += TILE) {
            int m = Math.min(TILE, n - i);
            s.get(i, fa, 0, m);
            d.get(i, fb, 0, m);
            switch (op) {
                case SUM, AVG -> {
                    for (int k = 0; k < m; k++) {
                        fb[k] += fa[k];
                    }
                }
                case MAX -> {
                    for (int k = 0; k < m; k++) {
                        fb[k] = Math.max(fb[k], fa[k]);
                    }
                }
                case MIN -> {
                    for (int k = 0; k < m; k++) {
                        fb[k] = Math.min(fb[k], fa[k]);
                    }
                }
            }
            d.put(i, fb, 0, m);
        }
    }

    private void doubles(DoubleBuffer s, DoubleBuffer d) {
        int n = s.remaining();
        for (int i = 0; i < n; i += TILE) {
            int m = Math.min(TILE, n - i);
            s.get(i, da, 0, m);
            d.get(i, db, 0, m);
            switch (op) {
                case SUM, AVG -> {
                    for (int k = 0; k < m; k++) {
                        db[k] += da[k];
                    }
                }
                case MAX -> {
                    for (int k = 0; k < m; k++) {
                        db[k] = Math.max(db[k], da[k]);
                    }
                }
                case MIN -> {
                    for (int k = 0; k < m; k++) {
                        db[k] = Math.min(db[k], da[k]);
                    }
                }
            }
            d.put(i, db, 0, m);
        }
    }

    private void longs(LongBuffer s, LongBuffer d) {
        int n = s.remaining();
        for (int i = 0; i < n; i += TILE) {
            int m = Math.min(TILE, n - i);
            s.get(i, la, 0, m);
            d.get(i, lb, 0, m);
            switch (op) {
                case SUM, AVG -> {
                    for (int k = 0; k < m; k++) {
                        lb[k] += la[k];
                    }
                }
                case MAX -> {
                    for (int k = 0; k < m; k++) {
                        lb[k] = Math.max(lb[k], la[k]);
                    }
                }
                case MIN -> {
                    for (int k = 0; k < m; k++) {
                        lb[k] = Math.min(lb[k], la[k]);
                    }
                }
            }
            d.put(i, lb, 0, m);
        }
    }

    /** int32 is rare (counters, flags): a plain loop is enough. */
    private void ints(ByteBuffer s, ByteBuffer d) {
        int base = d.position();
        for (int i = 0; i < s.remaining(); i += 4) {
            int a = s.getInt(s.position() + i);
            int b = d.getInt(base + i);
            d.putInt(base + i, switch (op) {
                case SUM, AVG -> a + b;
                case MAX -> Math.max(a, b);
                case MIN -> Math.min(a, b);
            });
        }
    }

    /** {@code dst /= worldSize} for AVG, on the one rank that owns a fully reduced chunk. */
    void divide(ByteBuffer dst, int worldSize) {
        ByteBuffer d = dst.duplicate().order(ByteOrder.nativeOrder());
        if (dtype == DType.FLOAT32) {
            FloatBuffer f = d.asFloatBuffer();
            float w = worldSize;
            for (int i = 0; i < f.remaining(); i += TILE) {
                int m = Math.min(TILE, f.remaining() - i);
                f.get(i, fb, 0, m);
                for (int k = 0; k < m; k++) {
                    fb[k] /= w;
                }
                f.put(i, fb, 0, m);
            }
        } else {
            DoubleBuffer f = d.asDoubleBuffer();
            double w = worldSize;
            for (int i = 0; i < f.remaining(); i += TILE) {
                int m = Math.min(TILE, f.remaining() - i);
                f.get(i, db, 0, m);
                for (int k = 0; k < m; k++) {
                    db[k] /= w;
                }
                f.put(i, db, 0, m);
            }
        }
    }
}
