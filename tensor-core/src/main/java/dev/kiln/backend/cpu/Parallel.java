package dev.kiln.backend.cpu;

import dev.kiln.Kiln;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.ForkJoinWorkerThread;
import java.util.concurrent.ForkJoinTask;

/**
 * Splits a range of work across {@link Kiln#numThreads()} threads when it is big enough to pay for the hand-off
 * (small tensors run on the caller's thread: thread wake-up costs microseconds).
 *
 * <p>One shared pool of {@code availableProcessors} daemon threads serves every thread of the JVM; the calling
 * thread's {@link Kiln#numThreads()} (its {@link dev.kiln.KilnContext}'s, if any) caps how many chunks a kernel
 * splits into, so N training loops with {@code numThreads = cores / N} each do not oversubscribe the cores. Bodies
 * run on pool threads without the caller's context: they must only compute over addresses, never allocate tensors
 * or draw random numbers.
 */
public final class Parallel {
    /**
     * Below this many elements of work a kernel runs single-threaded. NOTE: measured on a loaded 2-core machine,
     * waking a pool thread and joining it costs 20-50 us, while a dense float32 add runs at ~4 elements/ns on one
     * core: at 32K elements (the old grain) splitting made add 5x slower, and 128K is where it starts to pay.
     */
    public static final long GRAIN = 1 << 17;

    private static final ForkJoinPool POOL = new ForkJoinPool(Math.max(1, Runtime.getRuntime().availableProcessors()),
            pool -> {
                ForkJoinWorkerThread t = ForkJoinPool.defaultForkJoinWorkerThreadFactory.newThread(pool);
                t.setName("kiln-cpu-" + t.getPoolIndex());
                t.setDaemon(true);
                return t;
            }, null, false);

    private Parallel() {
    }

    /** A body that processes {@code [start, end)}. */
    @FunctionalInterface
    public interface Range {
        void run(long start, long end);
    }

    /**
     * Runs {@code body} over {@code [0, n)}; {@code costPerItem} (elements touched per index) decides whether the
     * work is large enough to split.
     */
    public static void forRange(long n, long costPerItem, Range body) {
        int threads = Math.min(Kiln.numThreads(), POOL.getParallelism());
        long work = n * Math.max(1, costPerItem);
        if (threads <= 1 || n <= 1 || work < GRAIN
                || (Thread.currentThread() instanceof ForkJoinWorkerThread w && w.getPool() == POOL)
                || OpenMpSpin.keepOnCaller(work)) {
            // small work, already inside a worker (do not nest), or oneDNN's workers still spinning on the other cores
            body.run(0, n);
            return;
        }
        int chunks = (int) Math.min(n, threads);
        ForkJoinTask<?>[] tasks = new ForkJoinTask<?>[chunks - 1];
        for (int c = 0; c < chunks - 1; c++) {
            long start = n * c / chunks;
            long end = n * (c + 1) / chunks;
            tasks[c] = POOL.submit(() -> body.run(start, end));
        }
        // The caller takes the last chunk. Every chunk is joined even when one throws: the kernel's caller fences its
        // tensors only until forRange returns, so a chunk still running after that could write a released block.
        Throwable failure = null;
        try {
            body.run(n * (chunks - 1) / chunks, n);
        } catch (RuntimeException | Error e) {
            failure = e;
        }
        for (ForkJoinTask<?> t : tasks) {
            try {
                t.join();
            } catch (RuntimeException | Error e) {
                if (failure == null) {
                    failure = e;
                } else {
                    failure.addSuppressed(e);
                }
            }
        }
        if (failure instanceof RuntimeException r) {
            throw r;
        }
        if (failure instanceof Error e) {
            throw e;
        }
    }
}
