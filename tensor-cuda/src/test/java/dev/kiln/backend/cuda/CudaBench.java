package dev.kiln.backend.cuda;

import dev.kiln.Kiln;
import dev.kiln.backend.Backends;
import dev.kiln.nn.Conv2d;
import dev.kiln.nn.CrossEntropyLoss;
import dev.kiln.nn.Flatten;
import dev.kiln.nn.Linear;
import dev.kiln.nn.MaxPool2d;
import dev.kiln.nn.Module;
import dev.kiln.nn.ReLU;
import dev.kiln.nn.Sequential;
import dev.kiln.optim.Adam;
import dev.kiln.tensor.DType;
import dev.kiln.tensor.Device;
import dev.kiln.tensor.Generator;
import dev.kiln.tensor.Tensor;
import dev.kiln.tensor.TensorScope;
import java.util.Locale;
import java.util.function.Supplier;
import jcuda.Pointer;
import jcuda.jcublas.JCublas2;
import jcuda.jcublas.cublasHandle;
import jcuda.jcublas.cublasOperation;
import jcuda.runtime.cudaStream_t;

/**
 * The GPU benchmark (a main, not a test; run by {@code tensor-cuda/scripts/gpu-check.sh}), every number against a
 * reference measured in the same run:
 * <ul>
 *   <li>square float32 GEMM in TFLOP/s: Kiln's {@code Tensor.matmul} on cuda:0 (shape checks, output allocation,
 *       dispatch, cuBLAS), Kiln's PTX GEMM (the fallback when cuBLAS does not load), and {@code cublasSgemm} called
 *       directly on preallocated device memory (the floor of any wrapper);</li>
 *   <li>MNIST-sized training, samples/s: an MLP 784-256-128-10 and a small CNN on 1x28x28 inputs, Adam, batch 128,
 *       on the GPU against the CPU backend.</li>
 * </ul>
 * Prints "no CUDA device" and exits 0 where there is no GPU. {@code --quick} shortens every measurement.
 */
public final class CudaBench {
    private static final Device CUDA = Device.cuda(0);

    private CudaBench() {
    }

    public static void main(String[] args) {
        boolean quick = args.length > 0 && args[0].equals("--quick");
        if (!Device.cudaIsAvailable()) {
            System.out.println("CudaBench: no CUDA device (" + Backends.find(Device.Type.CUDA).unavailableReason()
                    + "); nothing to measure");
            return;
        }
        System.out.printf(Locale.ROOT, "CudaBench on %s, cuBLAS %s, %s %s%n", CudaRuntime.device(CUDA),
                Cublas.available() ? "loaded" : "unavailable", System.getProperty("java.vm.name"),
                System.getProperty("java.version"));
        double seconds = quick ? 0.3 : 2;
        System.out.println("sgemm n | Kiln matmul TFLOP/s | Kiln PTX GEMM TFLOP/s | cublasSgemm direct TFLOP/s | "
                + "Kiln/cuBLAS");
        for (int n : new int[] {1024, 2048, 4096, 8192}) {
            gemmRow(n, seconds);
        }
        System.out.println("training (Adam, batch 128) | GPU samples/s | CPU samples/s | GPU/CPU");
        trainRow("MLP 784-256-128-10", () -> new Sequential(new Linear(784, 256), new ReLU(), new Linear(256, 128),
                new ReLU(), new Linear(128, 10)), new long[] {784}, quick);
        trainRow("CNN conv32-conv64-fc10", () -> new Sequential(new Conv2d(1, 32, 3), new ReLU(), new MaxPool2d(2),
                new Conv2d(32, 64, 3), new ReLU(), new MaxPool2d(2), new Flatten(), new Linear(64 * 5 * 5, 10)),
                new long[] {1, 28, 28}, quick);
        CudaMemoryStats s = CudaMemory.stats(CUDA);
        System.out.printf(Locale.ROOT, "device memory after the runs: %d bytes allocated, %d reserved, peak %d, "
                + "%d cuMemAlloc calls%n", s.allocatedBytes(), s.reservedBytes(), s.peakAllocatedBytes(),
                s.deviceMallocs());
    }

    // ------------------------------------------------------------------------------------------- GEMM

    private static void gemmRow(int n, double seconds) {
        double flops = 2.0 * n * n * n;
        Generator g = new Generator(n);
        try (TensorScope scope = TensorScope.open()) {
            Tensor a = Tensor.randn(new long[] {n, n}, DType.FLOAT32, g).to(CUDA);
            Tensor b = Tensor.randn(new long[] {n, n}, DType.FLOAT32, g).to(CUDA);
            Tensor c = Tensor.empty(CUDA, DType.FLOAT32, n, n);
            Tensor a3 = a.unsqueeze(0);
            Tensor b3 = b.unsqueeze(0);
            Tensor c3 = c.unsqueeze(0);
            CudaLinalg ptx = new CudaLinalg(KernelFamily.GPUS, false);
            double kiln = time(() -> a.matmul(b).close(), seconds);
            double ptxTime = n > 4096 ? Double.NaN : time(() -> ptx.bmm(a3.arg(), b3.arg(), c3.arg()), seconds);
            double direct = Cublas.available() ? directSgemmTime(n, a, b, c, seconds) : Double.NaN;
            System.out.printf(Locale.ROOT, "%7d | %19.2f | %21.2f | %26.2f | %.2f%n", n, flops / kiln / 1e12,
                    flops / ptxTime / 1e12, flops / direct / 1e12, direct / kiln);
        }
    }

    /**
     * Seconds per {@code cublasSgemm} on the tensors' device memory, through a handle of its own on the same
     * stream: row-major {@code C = A B} as column-major {@code C^T = B^T A^T}, nothing else around it.
     */
    private static double directSgemmTime(int n, Tensor a, Tensor b, Tensor c, double seconds) {
        CudaDevice d = CudaRuntime.device(CUDA);
        d.makeCurrent();
        cublasHandle h = new cublasHandle();
        JCublas2.cublasCreate(h);
        try {
            JCublas2.cublasSetStream(h, new cudaStream_t(d.stream));
            Pointer one = Pointer.to(new float[] {1});
            Pointer zero = Pointer.to(new float[] {0});
            Pointer pa = Cu.device(a.arg().dataAddress());
            Pointer pb = Cu.device(b.arg().dataAddress());
            Pointer pc = Cu.device(c.arg().dataAddress());
            return time(() -> JCublas2.cublasSgemm(h, cublasOperation.CUBLAS_OP_N, cublasOperation.CUBLAS_OP_N, n, n,
                    n, one, pb, n, pa, n, zero, pc, n), seconds);
        } finally {
            JCublas2.cublasDestroy(h);
        }
    }

    /**
     * Seconds per call: one warm-up call, then calls until {@code seconds} have passed, synchronizing every 16
     * calls (so the queue stays bounded while the GPU never waits for the host) and at both ends.
     */
    private static double time(Runnable op, double seconds) {
        op.run();
        CudaMemory.synchronize(CUDA);
        long start = System.nanoTime();
        long calls = 0;
        do {
            op.run();
            if (++calls % 16 == 0) {
                CudaMemory.synchronize(CUDA);
            }
        } while (System.nanoTime() - start < seconds * 1e9);
        CudaMemory.synchronize(CUDA);
        return (System.nanoTime() - start) / 1e9 / calls;
    }

    // ------------------------------------------------------------------------------------------- training

    private static void trainRow(String name, Supplier<Module> model, long[] sample, boolean quick) {
        int batch = 128;
        int batches = quick ? 20 : 200;
        double gpu = samplesPerSecond(model, sample, batch, batches, CUDA);
        double cpu = samplesPerSecond(model, sample, batch, quick ? 5 : 30, Device.CPU);
        System.out.printf(Locale.ROOT, "%-26s | %13.0f | %13.0f | %.1f%n", name, gpu, cpu, gpu / cpu);
    }

    /** Training throughput: one epoch-like pass of {@code batches} steps after 5 warm-up steps. */
    private static double samplesPerSecond(Supplier<Module> makeModel, long[] sample, int batch, int batches,
                                           Device device) {
        Kiln.manualSeed(0);
        long[] shape = new long[sample.length + 1];
        shape[0] = batch;
        System.arraycopy(sample, 0, shape, 1, sample.length);
        try (TensorScope outer = TensorScope.open();
             Module model = makeModel.get().to(device);
             Adam opt = new Adam(model.parameters(), 1e-3);
             CrossEntropyLoss loss = new CrossEntropyLoss()) {
            Tensor x = Tensor.randn(shape, DType.FLOAT32, new Generator(1)).to(device);
            Tensor y = Tensor.randint(0, 10, new long[] {batch}, new Generator(2)).to(device);
            Runnable step = () -> {
                try (TensorScope s = TensorScope.open()) {
                    opt.zeroGrad();
                    loss.forward(model.forward(x), y).backward();
                    opt.step();
                }
            };
            for (int i = 0; i < 5; i++) {
                step.run();
            }
            sync(device);
            long start = System.nanoTime();
            for (int i = 0; i < batches; i++) {
                step.run();
            }
            sync(device);
            return (double) batch * batches / ((System.nanoTime() - start) / 1e9);
        }
    }

    private static void sync(Device device) {
        if (device.isCuda()) {
            CudaMemory.synchronize(device);
        }
    }
}
