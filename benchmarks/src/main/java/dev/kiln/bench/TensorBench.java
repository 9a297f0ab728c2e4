package dev.kiln.bench;

import dev.kiln.Kiln;
import java.util.ArrayList;
import java.util.List;

/**
 * Prints, in one run, Kiln's CPU speed as a ratio to a reference measured in the same process:
 * float32 GEMM GFLOP/s of {@code Tensor.matmul} vs {@code cblas_sgemm} called directly, and elementwise
 * {@code add}/{@code relu} GB/s (the op, and its kernel into a preallocated output) vs a plain Java array loop.
 *
 * <p>Run (after {@code ./mvnw -B -q install -DskipTests}):
 * <pre>
 * java --add-opens=java.base/java.nio=ALL-UNNAMED -Dio.netty.tryReflectionSetAccessible=true \
 *   -cp "benchmarks/target/kiln-benchmarks-0.1.0-SNAPSHOT.jar:$(cat benchmarks/target/classpath.txt)" \
 *   dev.kiln.bench.TensorBench [--quick]
 * </pre>
 * {@code --quick} takes fewer, shorter samples (a smoke test, not numbers to publish).
 */
public final class TensorBench {
    private static final int[] GEMM_SIZES = {128, 256, 1024, 2048};
    private static final int LARGE = 16 * 1024 * 1024;
    private static final int SMALL = 64 * 1024;

    private TensorBench() {
    }

    public static void main(String[] args) {
        boolean quick = args.length > 0 && args[0].equals("--quick");
        int samples = quick ? 3 : 7;
        double minSeconds = quick ? 0.05 : 0.25;
        double warmSeconds = quick ? 0.3 : 1.5;
        System.out.printf("Kiln TensorBench: %d threads, %s %s, median of %d samples of >= %.2f s%n",
                Kiln.numThreads(), System.getProperty("java.vm.name"), System.getProperty("java.version"), samples,
                minSeconds);

        List<GemmBench.Result> gemm = new ArrayList<>();
        for (int n : GEMM_SIZES) {
            gemm.add(GemmBench.run(n, samples, n >= 1024 ? Math.max(minSeconds, 0.5) : minSeconds, warmSeconds));
        }
        List<ElementwiseBench.Result> pointwise = new ArrayList<>();
        for (int n : new int[] {LARGE, SMALL}) {
            pointwise.add(ElementwiseBench.add(n, samples, minSeconds, warmSeconds));
            pointwise.add(ElementwiseBench.relu(n, samples, minSeconds, warmSeconds));
        }
        printGemm(gemm);
        printPointwise(pointwise);
    }

    private static void printGemm(List<GemmBench.Result> rows) {
        System.out.println();
        System.out.println("| sgemm n×n×n | Kiln matmul GFLOP/s | OpenBLAS direct GFLOP/s | Kiln / direct |");
        System.out.println("|---:|---:|---:|---:|");
        for (GemmBench.Result r : rows) {
            System.out.printf("| %d³ | %.1f | %.1f | %.2f |%n", r.n(), r.kilnGflops(), r.blasGflops(), r.ratio());
        }
    }

    private static void printPointwise(List<ElementwiseBench.Result> rows) {
        System.out.println();
        System.out.println("| float32 op | elements | Kiln op GB/s | Kiln kernel, preallocated out GB/s "
                + "| Java float[] loop GB/s | op / Java | kernel / Java |");
        System.out.println("|---|---:|---:|---:|---:|---:|---:|");
        for (ElementwiseBench.Result r : rows) {
            System.out.printf("| %s | %s | %.1f | %.1f | %.1f | %.2f | %.2f |%n", r.op(), count(r.n()), r.opGbs(),
                    r.kernelGbs(), r.javaGbs(), r.opGbs() / r.javaGbs(), r.kernelGbs() / r.javaGbs());
        }
    }

    private static String count(int n) {
        return n >= 1 << 20 ? (n >> 20) + "M" : (n >> 10) + "K";
    }
}
