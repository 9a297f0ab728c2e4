package dev.kiln.bench;

import dev.kiln.Kiln;
import dev.kiln.nn.functional.F;
import dev.kiln.tensor.DType;
import dev.kiln.tensor.Generator;
import dev.kiln.tensor.Tensor;
import dev.kiln.tensor.TensorScope;
import java.util.List;

/**
 * conv2d forward and forward+backward (grads of input, weight and bias) on the two LeNet/MNIST-sized layers,
 * float32: {@code [128,1,28,28] -> 32 ch 3x3 pad 1} and {@code [128,32,14,14] -> 64 ch 3x3 pad 1}. Prints the
 * median milliseconds per call; there is no libtorch reference on this machine, so compare with
 * {@code torch.nn.functional.conv2d} timed elsewhere on the same core count.
 */
public final class ConvBench {
    private ConvBench() {
    }

    public static void main(String[] args) {
        if (args.length > 0) {
            Kiln.setNumThreads(Integer.parseInt(args[0]));
        }
        System.out.println("threads=" + Kiln.numThreads());
        run(128, 1, 28, 32);
        run(128, 32, 14, 64);
    }

    private static void run(long n, long c, long hw, long o) {
        Generator g = new Generator(1);
        Tensor x = Tensor.randn(new long[] {n, c, hw, hw}, DType.FLOAT32, g).requiresGrad_(true);
        Tensor w = Tensor.randn(new long[] {o, c, 3, 3}, DType.FLOAT32, g).requiresGrad_(true);
        Tensor b = Tensor.randn(new long[] {o}, DType.FLOAT32, g).requiresGrad_(true);
        long[] one = {1};
        Runnable forward = () -> {
            try (var s = TensorScope.open(); var ng = dev.kiln.autograd.Autograd.noGrad()) {
                F.conv2d(x, w, b, one, one, one, 1);
            }
        };
        Runnable forwardBackward = () -> {
            try (var s = TensorScope.open()) {
                Tensor y = F.conv2d(x, w, b, one, one, one, 1);
                y.sum().backward();
                for (Tensor p : List.of(x, w, b)) {
                    p.grad().close();
                    p.setGrad(null);
                }
            }
        };
        double[] t = Timing.compare(5, 0.5, 1.0, forward, forwardBackward);
        System.out.printf("conv2d [%d,%d,%d,%d] -> %d ch 3x3 pad 1: forward %.2f ms, forward+backward %.2f ms%n",
                n, c, hw, hw, o, t[0] * 1e3, t[1] * 1e3);
        x.close();
        w.close();
        b.close();
    }
}
