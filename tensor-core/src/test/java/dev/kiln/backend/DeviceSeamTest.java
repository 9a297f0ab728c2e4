package dev.kiln.backend;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.Kiln;
import dev.kiln.backend.cpu.CpuBackend;
import dev.kiln.checkpoint.Safetensors;
import dev.kiln.nn.BatchNorm1d;
import dev.kiln.nn.CrossEntropyLoss;
import dev.kiln.nn.Linear;
import dev.kiln.nn.Module;
import dev.kiln.nn.ReLU;
import dev.kiln.nn.Sequential;
import dev.kiln.nn.utils.ClipGrad;
import dev.kiln.optim.Adam;
import dev.kiln.optim.Optimizer;
import dev.kiln.optim.SGD;
import dev.kiln.tensor.DType;
import dev.kiln.tensor.Device;
import dev.kiln.tensor.Generator;
import dev.kiln.tensor.Tensor;
import dev.kiln.tensor.TensorScope;
import dev.kiln.testing.HostDeviceBackend;
import dev.kiln.testing.KilnTest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The device seam end to end on a stand-in GPU ({@link HostDeviceBackend}): registry and errors, transfers,
 * autograd across devices, and whole training loops (model, loss with its target check, clipping, optimizer) that
 * must stay on the device and match the CPU run bit for bit (same kernels, so any difference is a host detour).
 */
class DeviceSeamTest extends KilnTest {
    private static final Device CUDA = Device.cuda(0);

    @Test
    void serviceLoaderFindsTheCpuBackendAndNoGpuInThisModule() {
        assertTrue(Backends.find(Device.Type.CPU) instanceof CpuBackend);
        assertFalse(Device.cudaIsAvailable());
        assertEquals(0, Device.cudaDeviceCount());
        var e = assertThrows(UnsupportedOperationException.class, () -> Tensor.ones(2).to(CUDA));
        assertTrue(e.getMessage().contains("cuda:0") && e.getMessage().contains("kiln-tensor-cuda"), e.getMessage());
    }

    @Test
    void mixedDevicesFailWithPyTorchsMessage() {
        try (HostDeviceBackend gpu = HostDeviceBackend.install(); TensorScope s = TensorScope.open()) {
            assertTrue(Device.cudaIsAvailable());
            Tensor host = Tensor.ones(3);
            Tensor dev = Tensor.ones(3).to(CUDA);
            var e = assertThrows(IllegalArgumentException.class, () -> host.add(dev));
            assertEquals("Expected all tensors to be on the same device, but found at least two devices, cpu and "
                    + "cuda:0!", e.getMessage());
            assertThrows(IllegalArgumentException.class, () -> dev.matmul(Tensor.ones(3, 2)));
            assertThrows(IllegalArgumentException.class, () -> Tensor.cat(java.util.List.of(dev, host), 0));
            var ordinal = assertThrows(IllegalArgumentException.class, () -> host.to(Device.cuda(1)));
            assertTrue(ordinal.getMessage().contains("invalid device ordinal"), ordinal.getMessage());
            // a 0-d CPU tensor is a scalar: it may join, as in PyTorch, and the result stays on the device
            Tensor scaled = dev.mul(Tensor.scalar(2.0, DType.FLOAT32));
            assertEquals(CUDA, scaled.device());
            assertArrayEquals(new float[] {2, 2, 2}, scaled.toFloatArray());
        }
    }

    @Test
    void transfersElementAccessAndHostOnlyViewsAreExplicit() {
        try (HostDeviceBackend gpu = HostDeviceBackend.install(); TensorScope s = TensorScope.open()) {
            Tensor host = Tensor.arange(0, 12, 1, DType.FLOAT32).view(3, 4);
            Tensor dev = host.t().to(CUDA); // a non-contiguous source is made contiguous on the way
            assertEquals(CUDA, dev.device());
            assertArrayEquals(host.t().contiguous().toFloatArray(), dev.toFloatArray());
            assertEquals(7.0, dev.get(3, 1));
            dev.set(-1, 0, 0);
            assertEquals(-1.0, dev.select(0, 0).select(0, 0).item());
            assertArrayEquals(new long[] {0, 5, 9}, dev.select(0, 0).add(1).toLongArray());
            var noArrow = assertThrows(IllegalStateException.class, () -> dev.storage().arrowBuf());
            assertTrue(noArrow.getMessage().contains("cuda:0"), noArrow.getMessage());
            assertThrows(IllegalArgumentException.class, () -> dev.toArrow("x"));
            assertTrue(gpu.bytesInUse() > 0);
        }
    }

    @Test
    void gradientsFlowBackAcrossDevices() {
        try (HostDeviceBackend gpu = HostDeviceBackend.install(); TensorScope s = TensorScope.open()) {
            Tensor x = Tensor.of(1f, 2f, 3f).requiresGrad_(true);
            Tensor y = x.to(CUDA).mul(x.to(CUDA)).sum();
            y.backward();
            assertEquals(Device.CPU, x.grad().device());
            assertArrayEquals(new float[] {2, 4, 6}, x.grad().toFloatArray());
            Tensor target = Tensor.zeros(3).to(CUDA);
            target.copy_(Tensor.of(5f, 6f, 7f)); // copy_ is the op that crosses devices
            assertArrayEquals(new float[] {5, 6, 7}, target.toFloatArray());
        }
    }

    @Test
    void trainingOnTheDeviceMatchesTheCpuBitForBit() {
        for (Function<Module, Optimizer> opt : java.util.List.<Function<Module, Optimizer>>of(
                m -> new Adam(m.parameters(), 0.01), m -> new SGD(m.parameters(), SGD.options().lr(0.1).set("momentum", 0.9)))) {
            float[] cpu = train(Device.CPU, opt);
            try (HostDeviceBackend gpu = HostDeviceBackend.install()) {
                float[] dev = train(CUDA, opt);
                assertArrayEquals(cpu, dev, "the device run must equal the CPU run exactly");
                assertTrue(gpu.allocations() > 0, "the device run must have used device memory");
            }
        }
    }

    /** 20 steps of an MLP with BatchNorm, cross entropy, clipping; returns the losses and final weights. */
    private static float[] train(Device device, Function<Module, Optimizer> makeOptimizer) {
        Kiln.manualSeed(7);
        Generator data = new Generator(3);
        float[] out = new float[21];
        try (TensorScope scope = TensorScope.open();
             Module model = new Sequential(new Linear(6, 16), new BatchNorm1d(16), new ReLU(), new Linear(16, 3))) {
            model.to(device);
            try (Optimizer opt = makeOptimizer.apply(model); var loss = new CrossEntropyLoss()) {
                for (int step = 0; step < 20; step++) {
                    try (TensorScope s = TensorScope.open()) {
                        Tensor x = Tensor.randn(new long[] {32, 6}, DType.FLOAT32, data).to(device);
                        Tensor y = Tensor.randint(0, 3, new long[] {32}, data).to(device);
                        opt.zeroGrad();
                        Tensor l = loss.forward(model.forward(x), y);
                        l.backward();
                        ClipGrad.clipGradNorm_(model.parameters(), 1.0);
                        opt.step();
                        assertEquals(device, l.device());
                        out[step] = (float) l.item();
                    }
                }
                for (Tensor p : model.parameters()) {
                    assertEquals(device, p.device(), "parameters stay on the device");
                }
                Map<String, Tensor> state = model.stateDict();
                out[20] = (float) state.get("3.weight").sum().item();
            }
        }
        return out;
    }

    @Test
    void optimizerStateSavedOnTheCpuResumesOnTheDevice() {
        try (HostDeviceBackend gpu = HostDeviceBackend.install(); TensorScope s = TensorScope.open()) {
            Kiln.manualSeed(5);
            Linear cpuModel = new Linear(3, 2);
            Linear devModel = new Linear(3, 2);
            devModel.loadStateDict(cpuModel.stateDict());
            devModel.to(CUDA);
            Tensor x = Tensor.randn(4, 3);
            try (Adam cpuOpt = new Adam(cpuModel.parameters(), 0.1); Adam devOpt = new Adam(devModel.parameters(), 0.1)) {
                cpuOpt.zeroGrad();
                cpuModel.forward(x).sum().backward();
                cpuOpt.step();
                devOpt.loadStateDict(cpuOpt.stateDict()); // exp_avg etc. were written on the CPU
                devModel.loadStateDict(cpuModel.stateDict());
                for (Optimizer o : java.util.List.<Optimizer>of(cpuOpt, devOpt)) {
                    Linear m = o == cpuOpt ? cpuModel : devModel;
                    o.zeroGrad();
                    m.forward(x.to(m.weight().device())).sum().backward();
                    o.step(); // a state tensor left on the CPU would fail here with the mixed-device error
                }
                assertArrayEquals(cpuModel.weight().toFloatArray(), devModel.weight().toFloatArray());
            }
            cpuModel.close();
            devModel.close();
        }
    }

    @Test
    void checkpointsOfADeviceModelRoundTrip(@TempDir Path dir) throws Exception {
        try (HostDeviceBackend gpu = HostDeviceBackend.install(); TensorScope s = TensorScope.open()) {
            Linear model = new Linear(4, 2);
            model.to(CUDA);
            Path file = dir.resolve("m.safetensors");
            Safetensors.save(model.stateDict(), file);
            assertTrue(Files.size(file) > 0);
            Linear fresh = new Linear(4, 2);
            fresh.to(CUDA);
            fresh.loadStateDict(Safetensors.load(file)); // host tensors copied into device parameters
            assertEquals(CUDA, fresh.weight().device());
            assertArrayEquals(model.weight().toFloatArray(), fresh.weight().toFloatArray());
            model.close();
            fresh.close();
        }
    }
}
