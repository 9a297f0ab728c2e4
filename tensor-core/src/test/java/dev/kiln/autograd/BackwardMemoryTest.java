package dev.kiln.autograd;

import dev.kiln.nn.Conv2d;
import dev.kiln.nn.Flatten;
import dev.kiln.nn.Linear;
import dev.kiln.nn.MaxPool2d;
import dev.kiln.nn.Module;
import dev.kiln.nn.ReLU;
import dev.kiln.nn.Sequential;
import dev.kiln.tensor.DType;
import dev.kiln.tensor.Generator;
import dev.kiln.tensor.Tensor;
import dev.kiln.tensor.TensorScope;
import dev.kiln.testing.KilnTest;
import org.apache.arrow.memory.BufferAllocator;
import org.junit.jupiter.api.Test;

class BackwardMemoryTest extends KilnTest {

    record Peak(long forwardBytes, long backwardPeak, long paramBytes) {
    }

    private Peak measure(Module model, Tensor x) {
        long paramBytes = model.parameters().stream().mapToLong(p -> p.numel() * p.dtype().byteSize()).sum();
        try (TensorScope step = TensorScope.open()) {
            long before = allocator.getAllocatedMemory();
            Tensor loss = model.forward(x).square().mean();
            long forward = allocator.getAllocatedMemory() - before;
            long peak;
            try (BufferAllocator bw = allocator.newChildAllocator("backward", 0, Long.MAX_VALUE)) {
                try (TensorScope s = TensorScope.open(bw)) {
                    loss.backward();
                }
                peak = bw.getPeakMemoryAllocation();
                for (Tensor p : model.parameters()) {
                    Tensor g = p.grad();
                    p.setGrad(null);
                    g.close();
                }
            }
            return new Peak(forward, peak, paramBytes);
        }
    }

    @Test
    void mlp() {
        try (Module model = new Sequential(new Linear(784, 256), new ReLU(), new Linear(256, 256), new ReLU(),
                new Linear(256, 256), new ReLU(), new Linear(256, 10))) {
            Tensor x = Tensor.randn(new long[] {1024, 784}, DType.FLOAT32, new Generator(1));
            System.out.println("MLP " + measure(model, x));
        }
    }

    @Test
    void cnn() {
        try (Module model = new Sequential(new Conv2d(1, 16, 3, 1, 1), new ReLU(), new MaxPool2d(2),
                new Conv2d(16, 32, 3, 1, 1), new ReLU(), new MaxPool2d(2), new Flatten(), new Linear(32 * 7 * 7, 10))) {
            Tensor x = Tensor.randn(new long[] {64, 1, 28, 28}, DType.FLOAT32, new Generator(2));
            System.out.println("CNN " + measure(model, x));
        }
    }
}
