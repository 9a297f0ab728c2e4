package dev.kiln.bench;

import java.util.Arrays;

/**
 * Minimal timing harness: each sample runs the operation in a loop for at least a minimum wall time and reports
 * seconds per call; the candidate and its reference are sampled alternately so machine noise (other processes on
 * shared cores) hits both alike, and the median of the samples is reported.
 */
final class Timing {
    private Timing() {
    }

    /** Seconds per call of each side: {@code [candidate, reference]} medians. */
    record Pair(double candidate, double reference) {
        double ratio() {
            return reference / candidate; // > 1 means the candidate is faster
        }
    }

    /**
     * Warms both operations up (JIT, caches, OpenBLAS thread pool), then takes {@code samples} alternating samples
     * of at least {@code minSeconds} each.
     */
    static Pair compare(Runnable candidate, Runnable reference, int samples, double minSeconds) {
        for (int i = 0; i < 3; i++) {
            sample(candidate, minSeconds);
            sample(reference, minSeconds);
        }
        double[] c = new double[samples];
        double[] r = new double[samples];
        for (int i = 0; i < samples; i++) {
            c[i] = sample(candidate, minSeconds);
            r[i] = sample(reference, minSeconds);
        }
        return new Pair(median(c), median(r));
    }

    /** Runs {@code op} until {@code minSeconds} have passed (at least once); returns seconds per call. */
    static double sample(Runnable op, double minSeconds) {
        long budget = (long) (minSeconds * 1e9);
        long start = System.nanoTime();
        long calls = 0;
        long elapsed;
        do {
            op.run();
            calls++;
            elapsed = System.nanoTime() - start;
        } while (elapsed < budget);
        return elapsed / 1e9 / calls;
    }

    static double median(double[] xs) {
        double[] s = xs.clone();
        Arrays.sort(s);
        int n = s.length;
        return n % 2 == 1 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
    }
}
