package dev.kiln.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.Kiln;
import dev.kiln.nn.Conv2d;
import dev.kiln.nn.CrossEntropyLoss;
import dev.kiln.nn.Flatten;
import dev.kiln.nn.Linear;
import dev.kiln.nn.MaxPool2d;
import dev.kiln.nn.Module;
import dev.kiln.nn.ReLU;
import dev.kiln.nn.Sequential;
import dev.kiln.optim.Adam;
import dev.kiln.optim.Optimizer;
import dev.kiln.optim.SGD;
import dev.kiln.tensor.DType;
import dev.kiln.tensor.Device;
import dev.kiln.tensor.Generator;
import dev.kiln.tensor.Tensor;
import dev.kiln.tensor.TensorScope;
import java.util.function.Function;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

/**
 * Whole training steps on the GPU against the same steps on the CPU: the same initial weights and data, 20 steps,
 * and the loss curves must agree step by step (float32: within 1e-4 relative; the GPU sums in another order). The
 * allocator must be warm after two steps (no cuMemAlloc in steps 3 to 20), and all device memory must be back when
 * model and optimizer are closed. GPU only.
 */
class CudaTrainingTest extends GpuTest {
    private static final int STEPS = 20;

    @Test
    void mlpWithAdamFollowsTheCpuLossCurve() {
        assumeGpu();
        mlp(CUDA);
    }

    @Test
    void cnnWithMomentumSgdFollowsTheCpuLossCurve() {
        assumeGpu();
        cnn(CUDA);
    }

    /** The harness, CPU against CPU (runs anywhere): the same seed gives the same weights, so the curves match. */
    @Test
    void theHarnessReproducesACpuRunExactly() {
        mlp(Device.CPU);
        cnn(Device.CPU);
    }

    private static void mlp(Device device) {
        Generator g = new Generator(21);
        Tensor x = Tensor.randn(new long[] {256, 20}, DType.FLOAT32, g);
        Tensor y = Tensor.randint(0, 10, new long[] {256}, g);
        compareCurves(() -> new Sequential(new Linear(20, 64), new ReLU(), new Linear(64, 10)),
                m -> new Adam(m.parameters(), 0.01), x, y, device);
    }

    private static void cnn(Device device) {
        Generator g = new Generator(22);
        Tensor x = Tensor.randn(new long[] {32, 1, 12, 12}, DType.FLOAT32, g);
        Tensor y = Tensor.randint(0, 10, new long[] {32}, g);
        compareCurves(() -> new Sequential(new Conv2d(1, 8, 3), new ReLU(), new MaxPool2d(2), new Flatten(),
                new Linear(8 * 5 * 5, 10)), m -> new SGD(m.parameters(), SGD.options().lr(0.05).set("momentum", 0.9)),
                x, y, device);
    }

    private static void compareCurves(Supplier<Module> model, Function<Module, Optimizer> optimizer, Tensor x,
                                      Tensor y, Device device) {
        double[] cpu = train(model, optimizer, x, y, Device.CPU, false);
        double[] other = train(model, optimizer, x, y, device, device.isCuda());
        assertClose("loss per step, " + device + " vs cpu", cpu, other, device.isCuda() ? 1e-4 : 0);
        assertTrue(cpu[STEPS - 1] < cpu[0], "the model learns: " + cpu[0] + " -> " + cpu[STEPS - 1]);
    }

    /** Loss per step; on the GPU also checks that steps 3.. make no driver allocations. */
    private static double[] train(Supplier<Module> makeModel, Function<Module, Optimizer> makeOptimizer, Tensor x,
                                  Tensor y, Device device, boolean checkAllocator) {
        Kiln.manualSeed(7); // the same initial weights on both devices
        double[] losses = new double[STEPS];
        long mallocsAfterWarmUp = -1;
        try (Module model = makeModel.get().to(device); Optimizer opt = makeOptimizer.apply(model);
             CrossEntropyLoss loss = new CrossEntropyLoss()) {
            Tensor xd = x.to(device);
            Tensor yd = y.to(device);
            for (int step = 0; step < STEPS; step++) {
                try (TensorScope s = TensorScope.open()) {
                    opt.zeroGrad();
                    Tensor l = loss.forward(model.forward(xd), yd);
                    l.backward();
                    opt.step();
                    losses[step] = l.item();
                }
                if (checkAllocator && step == 1) {
                    mallocsAfterWarmUp = CudaMemory.stats(CUDA).deviceMallocs();
                }
            }
            if (checkAllocator) {
                assertEquals(mallocsAfterWarmUp, CudaMemory.stats(CUDA).deviceMallocs(),
                        "cuMemAlloc calls after the second step");
            }
            if (xd != x) {
                xd.close();
                yd.close();
            }
        }
        return losses;
    }
}
