package dev.kiln.backend.cuda;

/**
 * A Java model of the random kernels' stream (random.cu, philox.cuh): Philox4x32-10 blocks and the elements the
 * kernels derive from them, so tests can predict a kernel's output (uniform and randint exactly; normal up to the
 * device's log/cos/sin, a few ulps).
 */
final class PhiloxReference {
    private static final int M0 = 0xD2511F53;
    private static final int M1 = 0xCD9E8D57;
    private static final int W0 = 0x9E3779B9;
    private static final int W1 = 0xBB67AE85;

    private PhiloxReference() {
    }

    /** Ten rounds of Philox4x32 on counter (c0..c3) with key (k0, k1). */
    static int[] philox(int c0, int c1, int c2, int c3, int k0, int k1) {
        for (int r = 0; r < 10; r++) {
            long p0 = (M0 & 0xFFFFFFFFL) * (c0 & 0xFFFFFFFFL);
            long p1 = (M1 & 0xFFFFFFFFL) * (c2 & 0xFFFFFFFFL);
            int n0 = (int) (p1 >>> 32) ^ c1 ^ k0;
            int n2 = (int) (p0 >>> 32) ^ c3 ^ k1;
            c0 = n0;
            c1 = (int) p1;
            c2 = n2;
            c3 = (int) p0;
            k0 += W0;
            k1 += W1;
        }
        return new int[] {c0, c1, c2, c3};
    }

    /** Block {@code b} of the stream (seed, offset): counter offset + b (low word first), key = seed's halves. */
    static int[] block(long seed, long offset, long b) {
        long ctr = offset + b;
        return philox((int) ctr, (int) (ctr >>> 32), 0, 0, (int) seed, (int) (seed >>> 32));
    }

    /** Element e of {@code kiln_uniform_f32(n, seed, offset, lo, hi, out)}. */
    static float uniformF32(long seed, long offset, long e, double lo, double hi) {
        int w = block(seed, offset, e / 4)[(int) (e % 4)];
        float r = (float) (lo + (hi - lo) * ((w >>> 8) * 0x1.0p-24));
        if (r >= hi && hi > lo) {
            float top = (float) hi;
            r = top >= hi ? Math.nextDown(top) : top;
        }
        return r;
    }

    /** Element e of {@code kiln_uniform_f64}. */
    static double uniformF64(long seed, long offset, long e, double lo, double hi) {
        int[] x = block(seed, offset, e / 2);
        int k = (int) (e % 2);
        double r = lo + (hi - lo) * (word64(x[2 * k], x[2 * k + 1]) >>> 11) * 0x1.0p-53;
        if (r >= hi && hi > lo) {
            r = Math.nextDown(hi);
        }
        return r;
    }

    /** Element e of {@code kiln_randint_i64(n, seed, offset, lo, hi, out)}. */
    static long randintI64(long seed, long offset, long e, long lo, long hi) {
        int[] x = block(seed, offset, e / 2);
        int k = (int) (e % 2);
        long range = hi - lo;
        return lo + (range == 0 ? 0 : Long.remainderUnsigned(word64(x[2 * k], x[2 * k + 1]), range));
    }

    /** Element e of {@code kiln_normal_f64} (Box-Muller; the device's log/cos/sin may differ by an ulp or two). */
    static double normalF64(long seed, long offset, long e, double mean, double std) {
        int[] x = block(seed, offset, e / 2);
        double u1 = ((word64(x[0], x[1]) >>> 11) + 1.0) * 0x1.0p-53;
        double u2 = (word64(x[2], x[3]) >>> 11) * 0x1.0p-53;
        double r = Math.sqrt(-2.0 * Math.log(u1));
        double theta = 6.283185307179586 * u2;
        return mean + std * (e % 2 == 0 ? r * Math.cos(theta) : r * Math.sin(theta));
    }

    private static long word64(int lo, int hi) {
        return ((long) hi << 32) | (lo & 0xFFFFFFFFL);
    }
}
