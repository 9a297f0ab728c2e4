package dev.kiln.bench;

import dev.kiln.Kiln;
import dev.kiln.tensor.Tensor;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * Training and inference speed of the MNIST MLP (784-256-128-10, ReLU, cross entropy, Adam) in Kiln against
 * libtorch (PyTorch's C++ core, through DJL's PyTorch engine) in the same process, on synthetic 60k×784 data:
 * batch-128 training steps (forward + backward + Adam step) and batch-1024 inference, in samples/s.
 *
 * <p>First Kiln alone runs {@code --epochs} full epochs, printing the Arrow allocator's bytes after each (must
 * not grow) and the process's peak RSS ({@code VmHWM}) before libtorch is loaded. Then Kiln and libtorch are
 * sampled alternately ({@link Timing#compare}) so noise from other processes hits both alike.
 *
 * <p>DJL runs offline: {@code ai.djl.offline=true}, libtorch comes from {@code pytorch-native-cpu} (bundled
 * {@code libtorch_cpu.so}, extracted once to {@code ~/.djl.ai}) and the JNI glue from {@code pytorch-jni};
 * nothing is downloaded. Both use {@link Kiln#numThreads()} intra-op threads.
 *
 * <pre>
 * java --add-opens=java.base/java.nio=ALL-UNNAMED -Dio.netty.tryReflectionSetAccessible=true \
 *   -cp "benchmarks/target/kiln-benchmarks-0.1.0-SNAPSHOT.jar:$(cat benchmarks/target/classpath.txt)" \
 *   dev.kiln.bench.MlpBench [--epochs N] [--quick] [--no-torch] [--threads N]
 * </pre>
 * {@code --threads N} sets both sides' intra-op threads (default: all cores). On a machine shared with other busy
 * processes, {@code --threads 1} measures per-core speed without the stalls a multi-threaded op takes when one of
 * its threads waits for a core (each parallel region then costs up to a scheduler time slice, several ms).
 */
public final class MlpBench {
    private static final long N = 60_000;
    private static final int TRAIN_BATCH = 128;
    private static final int INFER_BATCH = 1024;

    private MlpBench() {
    }

    public static void main(String[] args) throws IOException {
        int epochs = 2;
        boolean quick = false;
        boolean torch = true;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--epochs" -> epochs = Integer.parseInt(args[++i]);
                case "--quick" -> quick = true;
                case "--no-torch" -> torch = false;
                case "--threads" -> Kiln.setNumThreads(Integer.parseInt(args[++i]));
                default -> throw new IllegalArgumentException("unknown option " + args[i]
                        + "; expected --epochs N, --quick, --no-torch, --threads N");
            }
        }
        int threads = Kiln.numThreads();
        System.setProperty("ai.djl.offline", "true");
        System.setProperty("ai.djl.pytorch.num_threads", Integer.toString(threads));
        System.setProperty("ai.djl.pytorch.num_interop_threads", "1");
        System.out.printf(Locale.ROOT, "MlpBench: MLP 784-256-128-10, %d threads, %s %s%n", threads,
                System.getProperty("java.vm.name"), System.getProperty("java.version"));
        Kiln.manualSeed(0);
        try (Tensor x = Tensor.randn(N, 784); Tensor y = Tensor.randint(0, 10, N)) {
            try (KilnTrainer kiln = new KilnTrainer(KilnTrainer.mnistMlp(), x, y, TRAIN_BATCH, INFER_BATCH)) {
                epochs(kiln, epochs);
                long peakKb = statusKb("VmHWM");
                System.out.printf(Locale.ROOT, "Kiln peak RSS (VmHWM, before libtorch loads): %.0f MiB%n",
                        peakKb / 1024.0);
                if (!torch) {
                    kilnOnly(kiln, quick);
                    return;
                }
                try (DjlTrainer djl = new DjlTrainer(DjlTrainer.mnistMlp(), x.toFloatArray(), toFloats(y), N, new long[] {784}, TRAIN_BATCH, INFER_BATCH)) {
                    System.out.println("reference: " + DjlTrainer.engineDescription());
                    compare(kiln, djl, quick, peakKb);
                }
            }
        }
    }

    /** Full epochs of Kiln training; Arrow bytes after each epoch show whether memory grows. */
    private static void epochs(KilnTrainer kiln, int epochs) {
        long steps = kiln.samples() / TRAIN_BATCH;
        for (int e = 1; e <= epochs; e++) {
            long t0 = System.nanoTime();
            for (long s = 0; s < steps; s++) {
                kiln.trainStep();
            }
            double sec = (System.nanoTime() - t0) / 1e9;
            System.out.printf(Locale.ROOT, "Kiln epoch %d: %.0f samples/s, loss %.4f, Arrow allocated %d bytes, "
                    + "RSS %.0f MiB%n", e, steps * TRAIN_BATCH / sec, kiln.lastLoss,
                    Kiln.rootAllocator().getAllocatedMemory(), statusKb("VmRSS") / 1024.0);
        }
    }

    private static void kilnOnly(KilnTrainer kiln, boolean quick) {
        double[] t = Timing.compare(quick ? 3 : 5, quick ? 0.3 : 1.0, quick ? 0.5 : 2.0, kiln::trainStep,
                kiln::inferStep);
        System.out.printf(Locale.ROOT, "Kiln train %.0f samples/s, inference %.0f samples/s%n", TRAIN_BATCH / t[0],
                INFER_BATCH / t[1]);
    }

    private static void compare(KilnTrainer kiln, DjlTrainer djl, boolean quick, long peakKb) {
        int samples = quick ? 3 : 7;
        double min = quick ? 0.3 : 1.0;
        double warm = quick ? 0.5 : 2.0;
        double[] train = Timing.compare(samples, min, warm, kiln::trainStep, djl::trainStep);
        double[] infer = Timing.compare(samples, min, warm, kiln::inferStep, djl::inferStep);
        double kt = TRAIN_BATCH / train[0];
        double tt = TRAIN_BATCH / train[1];
        double ki = INFER_BATCH / infer[0];
        double ti = INFER_BATCH / infer[1];
        System.out.println();
        System.out.println("| MLP 784-256-128-10 | Kiln samples/s | libtorch samples/s | Kiln / libtorch |");
        System.out.println("|---|---:|---:|---:|");
        System.out.printf(Locale.ROOT, "| train, batch %d (fwd+bwd+Adam) | %.0f | %.0f | %.2f |%n", TRAIN_BATCH, kt, tt,
                kt / tt);
        System.out.printf(Locale.ROOT, "| inference, batch %d | %.0f | %.0f | %.2f |%n", INFER_BATCH, ki, ti, ki / ti);
        System.out.printf(Locale.ROOT, "Kiln peak RSS %.0f MiB (60k×784 float32 data = %.0f MiB of it)%n",
                peakKb / 1024.0, N * 784 * 4 / 1048576.0);
    }

    private static float[] toFloats(Tensor labels) {
        long[] l = labels.toLongArray();
        float[] f = new float[l.length];
        for (int i = 0; i < l.length; i++) {
            f[i] = l[i];
        }
        return f;
    }

    /** A {@code /proc/self/status} field in kB (e.g. VmHWM, the peak resident set), or -1 where unavailable. */
    static long statusKb(String field) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith(field + ":")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", ""));
                }
            }
        } catch (IOException | RuntimeException e) {
            return -1;
        }
        return -1;
    }
}
