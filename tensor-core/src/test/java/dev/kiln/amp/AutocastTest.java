package dev.kiln.amp;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.nn.BatchNorm2d;
import dev.kiln.nn.Conv2d;
import dev.kiln.nn.Linear;
import dev.kiln.nn.Module;
import dev.kiln.nn.ModuleDict;
import dev.kiln.nn.ReLU;
import dev.kiln.nn.Sequential;
import dev.kiln.nn.functional.F;
import dev.kiln.tensor.DType;
import dev.kiln.tensor.Device;
import dev.kiln.tensor.Tensor;
import dev.kiln.tensor.TensorScope;
import dev.kiln.testing.Golden;
import dev.kiln.testing.HostDeviceBackend;
import dev.kiln.testing.KilnTest;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * CPU autocast against real PyTorch 1.13 ({@code src/test/python/gen_autocast_torch.py}): result dtypes exactly,
 * values within a few bfloat16 ulps (torch's own CPU bfloat16 GEMM here does not round once), and float32 master
 * weight gradients; plus the region semantics (thread-local, nesting, restore, disable).
 */
class AutocastTest extends KilnTest {
    private static final Golden G = Golden.load("/dev/kiln/amp/autocast_torch.txt",
            "src/test/python/gen_autocast_torch.py");
    private static final DType[] CODES = {DType.FLOAT64, DType.FLOAT32, DType.INT64, DType.BOOL, DType.FLOAT16,
        DType.BFLOAT16};
    /** Three bfloat16 ulps relative (2^-8 each), plus an absolute floor for values near zero. */
    private static final double RTOL = 3 * 0x1p-8;
    private static final double ATOL = 2e-2;

    private static void load(Module m, String net) {
        Map<String, Tensor> sd = new LinkedHashMap<>();
        for (String name : m.namedParameters().keySet()) {
            sd.put(name, G.tensor(net + "|param|" + name, DType.FLOAT32));
        }
        m.loadStateDict(sd, false); // parameters only: buffers keep their fresh values, as in the script
    }

    private static void check(String key, Tensor got, double rtol, double atol) {
        assertEquals(CODES[(int) G.scalar(key + "|dtype")], got.dtype(), key + " dtype");
        checkValues(key, got, rtol, atol);
    }

    private static void checkValues(String key, Tensor got, double rtol, double atol) {
        assertArrayEquals(G.shape(key), got.shape(), key);
        double[] want = G.values(key);
        double[] g = got.contiguous().toDoubleArray();
        for (int i = 0; i < want.length; i++) {
            assertTrue(Math.abs(g[i] - want[i]) <= atol + rtol * Math.abs(want[i]), key + " element " + i + ": "
                    + g[i] + ", PyTorch gives " + want[i]);
        }
    }

    private static void checkGrads(Module m, String net) {
        for (var e : m.namedParameters().entrySet()) {
            Tensor grad = e.getValue().grad();
            assertEquals(CODES[(int) G.scalar(net + "|grad|dtype|" + e.getKey())], grad.dtype(), e.getKey());
            checkValues(net + "|grad|" + e.getKey(), grad, 2 * RTOL, ATOL);
        }
    }

    @Test
    void mlpWithCrossEntropyMatchesPyTorch() {
        Sequential model = new Sequential(new Linear(4, 8), new ReLU(), new Linear(8, 3));
        load(model, "mlp");
        Tensor x = G.tensor("mlp|x", DType.FLOAT32);
        Tensor target = G.tensor("mlp|target", DType.INT64);
        Tensor loss;
        try (Autocast ac = Autocast.enable(Device.Type.CPU, DType.BFLOAT16)) {
            Tensor h = model.get(0).forward(x);
            Tensor a = model.get(1).forward(h);
            Tensor out = model.get(2).forward(a);
            check("mlp|h", h, RTOL, ATOL);
            check("mlp|a", a, RTOL, ATOL);
            check("mlp|out", out, RTOL, ATOL);
            check("mlp|softmax", out.softmax(1), RTOL, ATOL);
            check("mlp|mixed", out.add(x.narrow(1, 0, 3)), RTOL, ATOL);
            loss = F.crossEntropy(out, target);
            check("mlp|loss", loss, RTOL, ATOL);
        }
        loss.backward();
        checkGrads(model, "mlp");
        model.close();
    }

    @Test
    void cnnWithMseMatchesPyTorch() {
        Conv2d conv = new Conv2d(1, 2, 3);
        BatchNorm2d bn = new BatchNorm2d(2);
        Linear fc = new Linear(2 * 3 * 3, 2);
        ModuleDict model = new ModuleDict();
        model.put("conv", conv);
        model.put("bn", bn);
        model.put("fc", fc);
        load(model, "cnn");
        Tensor x = G.tensor("cnn|x", DType.FLOAT32);
        Tensor loss;
        try (Autocast ac = Autocast.enable(Device.Type.CPU)) { // bfloat16 is the CPU default
            Tensor c = conv.forward(x);
            Tensor n = bn.forward(c); // bfloat16 in, float32 parameters: bfloat16 out
            Tensor a = n.relu();
            Tensor out = fc.forward(a.flatten(1, -1));
            check("cnn|conv", c, RTOL, ATOL);
            check("cnn|bn", n, RTOL, ATOL);
            check("cnn|relu", a, RTOL, ATOL);
            check("cnn|out", out, RTOL, ATOL);
            loss = F.mseLoss(out, G.tensor("cnn|target", DType.FLOAT32));
            check("cnn|loss", loss, RTOL, ATOL);
        }
        loss.backward();
        checkGrads(model, "cnn");
        assertEquals(DType.FLOAT32, bn.runningMean().dtype());
        checkValues("cnn|running_mean", bn.runningMean(), RTOL, 1e-3);
        checkValues("cnn|running_var", bn.runningVar(), RTOL, 1e-3);
        model.close();
    }

    @Test
    void theComparisonCanFail() {
        Linear lin = new Linear(4, 8);
        Map<String, Tensor> sd = new LinkedHashMap<>();
        sd.put("weight", G.tensor("mlp|param|0.weight", DType.FLOAT32));
        sd.put("bias", G.tensor("mlp|param|0.bias", DType.FLOAT32));
        lin.loadStateDict(sd);
        Tensor x = G.tensor("mlp|x", DType.FLOAT32);
        Tensor plain = lin.forward(x); // without autocast: float32, so the dtype check fails
        assertThrows(AssertionError.class, () -> check("mlp|h", plain, RTOL, ATOL));
        try (Autocast ac = Autocast.enable(Device.Type.CPU, DType.BFLOAT16)) {
            Tensor h = lin.forward(x);
            check("mlp|h", h, RTOL, ATOL);
            assertThrows(AssertionError.class, () -> check("mlp|h", h.mul(1.05), RTOL, ATOL));
        }
        lin.close();
    }

    @Test
    void regionsNestRestoreAndAreThreadLocal() throws InterruptedException {
        assertFalse(Autocast.isEnabled(Device.Type.CPU));
        try (Autocast outer = Autocast.enable(Device.Type.CPU, DType.BFLOAT16)) {
            assertEquals(DType.BFLOAT16, Autocast.dtype(Device.Type.CPU));
            assertNull(Autocast.dtype(Device.Type.CUDA));
            try (Autocast inner = Autocast.enable(Device.Type.CPU, DType.FLOAT16)) {
                assertEquals(DType.FLOAT16, Tensor.ones(2, 3).matmul(Tensor.ones(3, 2)).dtype());
                try (Autocast off = Autocast.disable(Device.Type.CPU)) {
                    assertEquals(DType.FLOAT32, Tensor.ones(2, 3).matmul(Tensor.ones(3, 2)).dtype());
                }
            }
            assertEquals(DType.BFLOAT16, Tensor.ones(2, 3).matmul(Tensor.ones(3, 2)).dtype());
            DType[] seen = new DType[1];
            Thread t = new Thread(() -> seen[0] = Tensor.ones(2, 3).matmul(Tensor.ones(3, 2)).dtype());
            t.start();
            t.join(10_000);
            assertEquals(DType.FLOAT32, seen[0], "another thread is not in this thread's region");
            // float64 is never cast; integer tensors are left alone; other ops keep their types
            assertEquals(DType.FLOAT64, Tensor.ones(DType.FLOAT64, 2, 2).matmul(Tensor.ones(DType.FLOAT64, 2, 2))
                    .dtype());
            assertEquals(DType.FLOAT32, Tensor.ones(2).exp().dtype());
            assertEquals(DType.FLOAT32, F.mseLoss(Tensor.ones(DType.BFLOAT16, 2), Tensor.ones(DType.BFLOAT16, 2))
                    .dtype());
        }
        assertFalse(Autocast.isEnabled(Device.Type.CPU));
        assertEquals(DType.FLOAT32, Tensor.ones(2, 3).matmul(Tensor.ones(3, 2)).dtype());
    }

    @Test
    void misuseIsReported() {
        assertThrows(IllegalArgumentException.class, () -> Autocast.enable(Device.Type.CPU, DType.FLOAT32));
        Autocast outer = Autocast.enable(Device.Type.CPU);
        Autocast inner = Autocast.enable(Device.Type.CPU);
        IllegalStateException e = assertThrows(IllegalStateException.class, outer::close);
        assertTrue(e.getMessage().contains("reverse order"), e.getMessage());
        inner.close();
        outer.close();
        outer.close(); // idempotent
        assertFalse(Autocast.isEnabled(Device.Type.CPU));
        assertSame(Autocast.suspend(), Autocast.suspend()); // nothing to suspend: the shared no-op handle
    }

    @Test
    void backwardInsideARegionRunsInTheForwardTypes() {
        Linear lin = new Linear(3, 2);
        try (Autocast ac = Autocast.enable(Device.Type.CPU)) {
            Tensor out = lin.forward(Tensor.ones(4, 3));
            assertEquals(DType.BFLOAT16, out.dtype());
            out.sum().backward();
        }
        assertEquals(DType.FLOAT32, lin.weight().grad().dtype());
        assertArrayEquals(new float[] {4, 4, 4, 4, 4, 4}, lin.weight().grad().toFloatArray(), 0f);
        lin.close();
    }

    /**
     * CUDA autocast's float32 list (PyTorch 1.13's {@code autocast_mode.cpp}: exp, log, pow, reciprocal, rsqrt, sum,
     * cumsum, cumprod, softmax...) on the stand-in GPU: half inputs come out float32, lower-precision ops come out
     * float16, and the same ops on the CPU keep their input type (the CPU lists differ).
     */
    @Test
    void cudaFloat32ListOnTheStandInGpu() {
        try (HostDeviceBackend gpu = HostDeviceBackend.install(); TensorScope s = TensorScope.open()) {
            Tensor h = Tensor.ones(DType.FLOAT32, Device.cuda(0), 2, 3).to(DType.FLOAT16);
            try (Autocast ac = Autocast.enable(Device.Type.CUDA, DType.FLOAT16)) {
                for (Tensor out : new Tensor[] {h.exp(), h.log(), h.pow(2), h.pow(h), h.reciprocal(), h.rsqrt(),
                    h.sum(), h.cumsum(1), h.cumprod(0), h.softmax(1)}) {
                    assertEquals(DType.FLOAT32, out.dtype());
                    assertEquals(Device.cuda(0), out.device());
                }
                assertEquals(DType.FLOAT16, h.matmul(h.t()).dtype());
                assertEquals(DType.FLOAT16, h.add(h).dtype(), "other ops keep their types");
                Tensor c = Tensor.ones(DType.BFLOAT16, 2, 3);
                assertEquals(DType.BFLOAT16, c.exp().dtype(), "a CPU tensor is not under CUDA autocast");
            }
            assertEquals(DType.FLOAT16, h.exp().dtype());
        }
    }
}
