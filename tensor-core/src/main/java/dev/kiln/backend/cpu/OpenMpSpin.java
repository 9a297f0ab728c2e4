package dev.kiln.backend.cpu;

/**
 * Whether oneDNN's OpenMP workers are probably still spin-waiting on the other cores, so that forking a Java kernel
 * onto {@link Parallel}'s pool would only make its pool threads share those cores with spinners.
 *
 * <p>Why: after every parallel region libgomp's idle workers spin before sleeping: 300,000 rounds by default (some
 * milliseconds; {@code GOMP_SPINCOUNT}), unless {@code OMP_WAIT_POLICY=PASSIVE}, both read once from the
 * environment. libtorch runs all its parallel work on that same team, so the spinning is free for it; Kiln's pointwise,
 * pooling and optimizer kernels use Java threads, and right after a oneDNN convolution or GEMM those get half a core
 * each for the same work. Below {@link #SMALL_WORK} the caller's thread alone finishes first.
 *
 * <p>{@code -Dkiln.ompSpinAware=false} turns the heuristic off (for measuring it).
 */
final class OpenMpSpin {
    /**
     * A generous bound on libgomp's default spin: 300,000 rounds of a pause instruction (tens of cycles on current
     * x86 cores) is a few milliseconds.
     */
    private static final long SPIN_NANOS = 10_000_000L;
    /** Work (elements x cost) the calling thread finishes in about a millisecond: not worth sharing a core for. */
    static final long SMALL_WORK = 1L << 22;
    private static final boolean SPINS = spinsByDefault(System.getenv("OMP_WAIT_POLICY"), System.getenv("GOMP_SPINCOUNT"));
    private static volatile long lastRegionEnd;

    private OpenMpSpin() {
    }

    /** libgomp spins after a region unless told to be passive (or given a spin count of 0). */
    static boolean spinsByDefault(String waitPolicy, String spinCount) {
        return !"passive".equalsIgnoreCase(waitPolicy == null ? "" : waitPolicy.trim()) && !"0".equals(spinCount);
    }

    /** Called after each oneDNN call returns. */
    static void regionEnded() {
        if (SPINS) {
            lastRegionEnd = System.nanoTime();
        }
    }

    /** True when {@code work} is small and a oneDNN region ended recently enough that its workers may still spin. */
    static boolean keepOnCaller(long work) {
        if (!SPINS || work >= SMALL_WORK || lastRegionEnd == 0) {
            return false;
        }
        return System.nanoTime() - lastRegionEnd < SPIN_NANOS && !"false".equals(System.getProperty("kiln.ompSpinAware"));
    }
}
