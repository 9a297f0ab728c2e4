package dev.kiln.bench;

import java.util.Arrays;

/**
 * Minimal timing harness: each sample runs the operation in a loop for at least a minimum wall time and reports
 * seconds per call; the candidates and their reference are sampled alternately so machine noise (other processes
 * on shared cores) hits all alike, and the median of the samples is reported.
 */
final class Timing {
    private Timing() {
    }

    /**
     * Warms every operation up (JIT, caches, OpenBLAS's thread pool) for {@code warmSeconds} each, then takes
     * {@code samples} rounds of one sample of at least {@code minSeconds} per operation, alternating between them;
     * returns the median seconds per call of each, in argument order.
     */
    static double[] compare(int samples, double minSeconds, double warmSeconds, Runnable... ops) {
        for (int round = 0; round < 2; round++) { // twice, so each op also warms up after the others ran
            for (Runnable op : ops) {
                sample(op, warmSeconds / 2);
            }
        }
        double[][] s = new double[ops.length][samples];
        for (int i = 0; i < samples; i++) {
            for (int k = 0; k < ops.length; k++) {
                s[k][i] = sample(ops[k], minSeconds);
            }
        }
        double[] medians = new double[ops.length];
        for (int k = 0; k < ops.length; k++) {
            medians[k] = median(s[k]);
        }
        return medians;
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
