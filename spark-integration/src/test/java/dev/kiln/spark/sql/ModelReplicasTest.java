package dev.kiln.spark.sql;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.Kiln;
import dev.kiln.autograd.Autograd;
import dev.kiln.nn.Module;
import dev.kiln.spark.ml.ModelSpec;
import dev.kiln.spark.train.StateDictBytes;
import dev.kiln.tensor.Device;
import dev.kiln.tensor.Tensor;
import dev.kiln.tensor.TensorScope;
import dev.kiln.testing.KilnTest;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The per-JVM pool lends each concurrent caller its own replica, reuses them, and frees them all on clear(). */
class ModelReplicasTest extends KilnTest {
    private static ScoringPayload payload(String key, long seed) {
        ModelSpec spec = ModelSpec.mlp(8, 32, 4);
        Kiln.manualSeed(seed);
        try (Module m = spec.create()) {
            return new ScoringPayload(key, spec, StateDictBytes.save(m));
        }
    }

    @AfterEach
    void clearFreesEverything() {
        ModelReplicas.clear();
        assertEquals(0, ModelReplicas.allocatedBytes());
    }

    private static float[] forward(ModelReplicas.Replica r, float[] x) {
        try (TensorScope scope = TensorScope.open(); Autograd.Guard g = Autograd.noGrad()) {
            return r.module().forward(Tensor.of(x).view(1, x.length)).toFloatArray();
        }
    }

    @Test
    void concurrentBorrowersGetDistinctReplicasThatAgree() throws Exception {
        ScoringPayload p = payload("concurrent", 1);
        float[] x = {1, -2, 3, 0.5f, 0, 1, 2, -1};
        float[] expected;
        try (ModelReplicas.Replica r = ModelReplicas.borrow(p)) {
            expected = forward(r, x);
        }
        int threads = 4;
        CyclicBarrier together = new CyclicBarrier(threads);
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            List<Future<Module>> seen = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                seen.add(pool.submit(() -> {
                    try (ModelReplicas.Replica r = ModelReplicas.borrow(p)) {
                        together.await(10, TimeUnit.SECONDS); // all four hold a replica at once
                        for (int i = 0; i < 200; i++) {
                            assertArrayEquals(expected, forward(r, x), 0f);
                        }
                        return r.module();
                    }
                }));
            }
            List<Module> modules = new ArrayList<>();
            for (Future<Module> f : seen) {
                modules.add(f.get(60, TimeUnit.SECONDS));
            }
            for (int i = 0; i < threads; i++) {
                for (int j = i + 1; j < threads; j++) {
                    assertNotSame(modules.get(i), modules.get(j), "concurrent borrowers never share a module");
                }
            }
        } finally {
            pool.shutdownNow();
        }
        ModelReplicas.Stats s = ModelReplicas.stats("concurrent");
        assertEquals(4, s.built(), "one replica per concurrent borrower, the first one reused");
        assertEquals(5, s.borrows());
        assertEquals(4, s.idle());
        try (ModelReplicas.Replica again = ModelReplicas.borrow(p)) {
            assertEquals(4, ModelReplicas.stats("concurrent").built(), "later borrowers reuse idle replicas");
        }
    }

    @Test
    void replicasAreNeverLentAcrossDevicesAndClearFreesDeviceMemory() {
        ScoringPayload p = payload("devices", 3);
        float[] x = {1, -2, 3, 0.5f, 0, 1, 2, -1};
        float[] expected;
        try (ModelReplicas.Replica r = ModelReplicas.borrow(p)) {
            assertEquals(Device.CPU, r.device());
            expected = forward(r, x);
        }
        try (CountingDevice gpu = CountingDevice.install()) {
            Module onDevice;
            try (ModelReplicas.Replica r = ModelReplicas.borrow(p, Device.cuda(0))) {
                onDevice = r.module();
                assertEquals(Device.cuda(0), r.device());
                r.module().parameters().forEach(t -> assertEquals(Device.cuda(0), t.device()));
                try (TensorScope scope = TensorScope.open(); Autograd.Guard g = Autograd.noGrad()) {
                    Tensor in = Tensor.of(x).view(1, x.length).to(Device.cuda(0));
                    assertArrayEquals(expected, r.module().forward(in).toFloatArray(), 0f);
                }
            }
            assertEquals(1, ModelReplicas.stats("devices", Device.CPU).built());
            assertEquals(1, ModelReplicas.stats("devices", Device.cuda(0)).built(), "cuda:0 built its own replica");
            try (ModelReplicas.Replica r = ModelReplicas.borrow(p)) {
                assertEquals(Device.CPU, r.device(), "the idle cuda:0 replica is not lent to a CPU task");
            }
            try (ModelReplicas.Replica r = ModelReplicas.borrow(p, Device.cuda(0))) {
                assertSame(onDevice, r.module(), "cuda:0 tasks reuse the cuda:0 replica");
            }
            // the stand-in has one GPU: a cuda:1 task must build on cuda:1 (and fail), never take cuda:0's replica
            String m = assertThrows(IllegalArgumentException.class,
                    () -> ModelReplicas.borrow(p, Device.cuda(1))).getMessage();
            assertTrue(m.contains("invalid device ordinal") && m.contains("cuda:1"), m);
            assertEquals(0, ModelReplicas.stats("devices", Device.cuda(1)).built());
            assertEquals(new ModelReplicas.Stats(2, 5, 2), ModelReplicas.stats("devices"), "summed over devices");

            assertTrue(ModelReplicas.deviceBytes() > 0);
            assertEquals(gpu.bytesInUse(), ModelReplicas.deviceBytes());
            ModelReplicas.clear();
            assertEquals(0, gpu.bytesInUse(), "clear() frees the device replicas");
            assertEquals(0, ModelReplicas.deviceBytes());
            assertEquals(0, ModelReplicas.allocatedBytes());
        }
    }

    @Test
    void leastRecentlyUsedModelsAreDroppedBeyondTheLimit() {
        ModelReplicas.Replica held = ModelReplicas.borrow(payload("m0", 0));
        for (int i = 1; i <= ModelReplicas.MAX_MODELS; i++) {
            ModelReplicas.borrow(payload("m" + i, i)).close();
        }
        assertNull(ModelReplicas.stats("m0"), "the eldest pool was dropped");
        assertTrue(ModelReplicas.allocatedBytes() > 0);
        held.close(); // a replica lent out when its pool was dropped is freed when it comes back
        held.close(); // twice is harmless
        ModelReplicas.clear();
        assertEquals(0, ModelReplicas.allocatedBytes());
    }
}
