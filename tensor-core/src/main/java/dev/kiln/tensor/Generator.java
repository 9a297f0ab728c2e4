package dev.kiln.tensor;

import dev.kiln.KilnContext;

/**
 * A seeded pseudo-random generator (xoshiro256**, seeded through SplitMix64), like {@code torch.Generator}.
 * Its whole state is four longs, so checkpoints can save and restore it exactly ({@link #getState()}).
 * Streams differ from PyTorch's (which uses Philox/MT19937); distributions and seeding semantics match.
 */
public final class Generator implements dev.kiln.backend.RandomSource {
    private static final Generator DEFAULT = new Generator(0x5eed_c0ffeeL);

    private long s0;
    private long s1;
    private long s2;
    private long s3;
    private long initialSeed;

    public Generator(long seed) {
        manualSeed(seed);
    }

    /**
     * The generator random ops use by default and {@code Kiln.manualSeed} seeds: the current {@link KilnContext}'s
     * if one is open on this thread, else the process-wide one ({@link #processDefault()}).
     */
    public static Generator defaultGenerator() {
        KilnContext ctx = KilnContext.current();
        return ctx == null ? DEFAULT : ctx.generator();
    }

    /** The process-wide generator, shared by every thread that has no {@link KilnContext} with its own. */
    public static Generator processDefault() {
        return DEFAULT;
    }

    public synchronized Generator manualSeed(long seed) {
        initialSeed = seed;
        long x = seed;
        s0 = splitMix(x += 0x9E3779B97F4A7C15L);
        s1 = splitMix(x += 0x9E3779B97F4A7C15L);
        s2 = splitMix(x += 0x9E3779B97F4A7C15L);
        s3 = splitMix(x + 0x9E3779B97F4A7C15L);
        return this;
    }

    public long initialSeed() {
        return initialSeed;
    }

    private static long splitMix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    @Override
    public synchronized long nextLong() {
        long result = Long.rotateLeft(s1 * 5, 7) * 9;
        long t = s1 << 17;
        s2 ^= s0;
        s3 ^= s1;
        s1 ^= s2;
        s0 ^= s3;
        s2 ^= t;
        s3 = Long.rotateLeft(s3, 45);
        return result;
    }

    /** Uniform in [0, 1) with 53 random bits. */
    @Override
    public double nextDouble() {
        return (nextLong() >>> 11) * 0x1.0p-53;
    }

    /** Uniform in [0, 1) with 24 random bits. */
    public float nextFloat() {
        return (nextLong() >>> 40) * 0x1.0p-24f;
    }

    /** Fills {@code out} with uniform [0, 1) floats under one lock (the per-call lock dominates otherwise). */
    @Override
    public synchronized void fillFloats(float[] out, int from, int to) {
        for (int i = from; i < to; i++) {
            out[i] = (nextLong() >>> 40) * 0x1.0p-24f;
        }
    }

    /** Standard normal (Box-Muller, one value per call; the pair's second value is discarded for simplicity). */
    @Override
    public double nextGaussian() {
        double u1;
        do {
            u1 = nextDouble();
        } while (u1 <= Double.MIN_NORMAL);
        double u2 = nextDouble();
        return Math.sqrt(-2.0 * Math.log(u1)) * Math.cos(2.0 * Math.PI * u2);
    }

    /** Uniform integer in [low, high). */
    @Override
    public long nextLong(long low, long high) {
        if (high <= low) {
            throw new IllegalArgumentException("random range is empty: low=" + low + " high=" + high);
        }
        long bound = high - low;
        long r = nextLong() >>> 1;
        long m = bound - 1;
        if ((bound & m) == 0L) {
            return low + (r & m);
        }
        long u = r;
        while (u - (r = u % bound) + m < 0L) {
            u = nextLong() >>> 1;
        }
        return low + r;
    }

    /** The full state, for checkpoints: {@code [s0, s1, s2, s3, initialSeed]}. */
    public synchronized long[] getState() {
        return new long[] {s0, s1, s2, s3, initialSeed};
    }

    public synchronized void setState(long[] state) {
        if (state == null || state.length != 5) {
            throw new IllegalArgumentException("Generator state must be 5 longs, got "
                    + (state == null ? "null" : state.length));
        }
        s0 = state[0];
        s1 = state[1];
        s2 = state[2];
        s3 = state[3];
        initialSeed = state[4];
    }
}
