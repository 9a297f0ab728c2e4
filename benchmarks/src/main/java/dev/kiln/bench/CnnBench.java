package dev.kiln.bench;

import ai.djl.nn.SequentialBlock;
import dev.kiln.Kiln;
import dev.kiln.nn.Sequential;
import dev.kiln.tensor.Tensor;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Supplier;

/**
 * Training and inference speed of two MNIST CNNs in Kiln against libtorch (through DJL's PyTorch engine) in the
 * same process, on synthetic {@code [10000, 1, 28, 28]} float32 data: batch-128 training steps (forward + backward
 * + Adam step) and batch-1000 inference, in samples/s, printed as a markdown table with the Kiln / libtorch ratio.
 *
 * <ul>
 *   <li>{@code mnist-cnn}: examples/MnistCnn, conv(1→32, 5x5, pad 2)-ReLU-maxpool2-conv(32→64, 5x5, pad 2)-ReLU-
 *       maxpool2-flatten-dropout(0.25)-fc(3136→128)-ReLU-fc(128→10);</li>
 *   <li>{@code lenet5}: conv(1→6, 5x5, pad 2)-ReLU-maxpool2-conv(6→16, 5x5)-ReLU-maxpool2-fc 400-120-84-10.</li>
 * </ul>
 *
 * <p>Kiln and libtorch are sampled alternately ({@link Timing#compare}) so noise from other processes hits both
 * alike. DJL runs offline exactly as in {@link MlpBench}; both use {@link Kiln#numThreads()} intra-op threads.
 *
 * <pre>
 * java --add-opens=java.base/java.nio=ALL-UNNAMED -Dio.netty.tryReflectionSetAccessible=true \
 *   -cp "benchmarks/target/kiln-benchmarks-0.1.0-SNAPSHOT.jar:$(cat benchmarks/target/classpath.txt)" \
 *   dev.kiln.bench.CnnBench [--model mnist-cnn|lenet5|all] [--quick] [--no-torch]
 * </pre>
 * {@code --no-torch} times Kiln alone (for profiling: it never loads libtorch).
 *
 * <p>NOTE: two OpenBLAS environment settings change Kiln's side a lot on the 2-core AMD EPYC dev machine (libtorch
 * does not use OpenBLAS): OpenBLAS 0.3.31's dynamic-arch detection picks its AVX2 "Haswell" kernels there although
 * the CPU has AVX-512 ({@code OPENBLAS_CORETYPE=SKYLAKEX}: the 64x800x25088 conv GEMM goes from ~195 to ~320
 * GFLOP/s), and its worker thread busy-waits ~0.1 s after each GEMM, stealing a core from Kiln's own parallel
 * kernels between GEMMs ({@code OPENBLAS_THREAD_TIMEOUT=4}). Both are read when the library loads, so they must be
 * in the environment of the JVM.
 */
public final class CnnBench {
    private static final long N = 10_000;
    private static final int TRAIN_BATCH = 128;
    private static final int INFER_BATCH = 1000;

    private record Arch(String name, String description, Supplier<Sequential> kiln, Supplier<SequentialBlock> djl) {
    }

    private CnnBench() {
    }

    public static void main(String[] args) {
        String which = "all";
        boolean quick = false;
        boolean torch = true;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--model" -> which = args[++i];
                case "--quick" -> quick = true;
                case "--no-torch" -> torch = false;
                default -> throw new IllegalArgumentException("unknown option " + args[i]
                        + "; expected --model mnist-cnn|lenet5|all, --quick, --no-torch");
            }
        }
        List<Arch> archs = archs(which);
        int threads = Kiln.numThreads();
        System.setProperty("ai.djl.offline", "true");
        System.setProperty("ai.djl.pytorch.num_threads", Integer.toString(threads));
        System.setProperty("ai.djl.pytorch.num_interop_threads", "1");
        System.out.printf(Locale.ROOT, "CnnBench: %d threads, %s %s%n", threads, System.getProperty("java.vm.name"),
                System.getProperty("java.version"));
        Kiln.manualSeed(0);
        List<String> rows = new ArrayList<>();
        try (Tensor x = Tensor.randn(N, 1, 28, 28); Tensor y = Tensor.randint(0, 10, N)) {
            float[] xs = torch ? x.toFloatArray() : null;
            float[] ys = torch ? toFloats(y) : null;
            for (Arch a : archs) {
                try (KilnTrainer kiln = new KilnTrainer(a.kiln().get(), x, y, TRAIN_BATCH, INFER_BATCH)) {
                    if (!torch) {
                        kilnOnly(a, kiln, quick);
                        continue;
                    }
                    try (DjlTrainer djl = new DjlTrainer(a.djl().get(), xs, ys, N, new long[] {1, 28, 28}, TRAIN_BATCH, INFER_BATCH)) {
                        if (rows.isEmpty()) {
                            System.out.println("reference: " + DjlTrainer.engineDescription());
                        }
                        rows.addAll(compare(a, kiln, djl, quick));
                    }
                }
            }
        }
        if (!rows.isEmpty()) {
            System.out.println();
            System.out.println("| model | Kiln samples/s | libtorch samples/s | Kiln / libtorch |");
            System.out.println("|---|---:|---:|---:|");
            rows.forEach(System.out::println);
        }
    }

    private static List<Arch> archs(String which) {
        Arch mnist = new Arch("mnist-cnn", "MnistCnn (conv32-conv64-fc128)", KilnTrainer::mnistCnn, DjlTrainer::mnistCnn);
        Arch lenet = new Arch("lenet5", "LeNet-5 (conv6-conv16-fc120-84)", KilnTrainer::leNet5, DjlTrainer::leNet5);
        return switch (which) {
            case "all" -> List.of(mnist, lenet);
            case "mnist-cnn" -> List.of(mnist);
            case "lenet5" -> List.of(lenet);
            default -> throw new IllegalArgumentException("unknown --model " + which + "; expected mnist-cnn, lenet5 "
                    + "or all");
        };
    }

    private static void kilnOnly(Arch a, KilnTrainer kiln, boolean quick) {
        double[] t = Timing.compare(quick ? 3 : 5, quick ? 0.5 : 2.0, quick ? 1.0 : 4.0, kiln::trainStep,
                kiln::inferStep);
        System.out.printf(Locale.ROOT, "%s Kiln: train %.0f samples/s (%.1f ms/step), inference %.0f samples/s, "
                + "loss %.4f%n", a.name(), TRAIN_BATCH / t[0], t[0] * 1e3, INFER_BATCH / t[1], kiln.lastLoss);
    }

    private static List<String> compare(Arch a, KilnTrainer kiln, DjlTrainer djl, boolean quick) {
        int samples = quick ? 3 : 7;
        double min = quick ? 0.5 : 1.5;
        double warm = quick ? 1.0 : 10.0; // NOTE: C2 keeps compiling Kiln's kernels for ~12 s of training steps
        double[] train = Timing.compare(samples, min, warm, kiln::trainStep, djl::trainStep);
        double[] infer = Timing.compare(samples, min, warm, kiln::inferStep, djl::inferStep);
        double kt = TRAIN_BATCH / train[0];
        double tt = TRAIN_BATCH / train[1];
        double ki = INFER_BATCH / infer[0];
        double ti = INFER_BATCH / infer[1];
        System.out.printf(Locale.ROOT, "%s: Kiln loss %.4f, libtorch loss %.4f%n", a.name(), kiln.lastLoss,
                djl.lastLoss);
        return List.of(
                String.format(Locale.ROOT, "| %s train, batch %d (fwd+bwd+Adam) | %.0f | %.0f | %.2f |",
                        a.description(), TRAIN_BATCH, kt, tt, kt / tt),
                String.format(Locale.ROOT, "| %s inference, batch %d | %.0f | %.0f | %.2f |", a.description(),
                        INFER_BATCH, ki, ti, ki / ti));
    }

    private static float[] toFloats(Tensor labels) {
        long[] l = labels.toLongArray();
        float[] f = new float[l.length];
        for (int i = 0; i < l.length; i++) {
            f[i] = l[i];
        }
        return f;
    }
}
