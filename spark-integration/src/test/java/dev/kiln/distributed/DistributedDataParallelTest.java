package dev.kiln.distributed;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.nn.Linear;
import dev.kiln.nn.MSELoss;
import dev.kiln.nn.Module;
import dev.kiln.nn.ReLU;
import dev.kiln.nn.Sequential;
import dev.kiln.optim.SGD;
import dev.kiln.tensor.DType;
import dev.kiln.tensor.Device;
import dev.kiln.tensor.Generator;
import dev.kiln.tensor.Tensor;
import dev.kiln.tensor.TensorScope;
import dev.kiln.testing.HostDeviceBackend;
import dev.kiln.testing.KilnTest;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/**
 * DDP's promise: n ranks on disjoint shards of a global batch end with the weights of one process training on
 * the whole batch, and bit-identical weights on every rank.
 *
 * <p>Each rank thread runs in its own {@code KilnContext} seeded differently (see {@code LocalRanks}), so the ranks
 * draw different initial weights; rank 0 loads the reference's, and DDP's broadcast must overwrite the others'.
 */
class DistributedDataParallelTest extends KilnTest {
    static final int GLOBAL_BATCH = 12;
    static final int STEPS = 6;

    static Sequential mlp() {
        return new Sequential(new Linear(5, 16), new ReLU(), new Linear(16, 8), new ReLU(), new Linear(8, 3));
    }

    static Tensor features() {
        return Tensor.randn(new long[] {GLOBAL_BATCH, 5}, DType.FLOAT32, new Generator(7));
    }

    static Tensor targets() {
        return Tensor.randn(new long[] {GLOBAL_BATCH, 3}, DType.FLOAT32, new Generator(8));
    }

    static Map<String, float[]> snapshot(Module m) {
        Map<String, float[]> out = new LinkedHashMap<>();
        m.namedParameters().forEach((k, v) -> out.put(k, v.toFloatArray()));
        return out;
    }

    static void load(Module m, Map<String, float[]> weights) {
        m.namedParameters().forEach((k, v) -> v.detach().copy_(Tensor.of(weights.get(k)).view(v.shape())));
    }

    /** One process, whole global batch, mean loss: the reference. */
    static Map<String, float[]> trainAlone(Map<String, float[]> init) {
        try (Sequential model = mlp(); SGD opt = new SGD(model.parameters(), SGD.options().lr(0.1).set("momentum", 0.9))) {
            load(model, init);
            Tensor x = features();
            Tensor y = targets();
            MSELoss loss = new MSELoss();
            for (int s = 0; s < STEPS; s++) {
                opt.zeroGrad();
                loss.forward(model.forward(x), y).backward();
                opt.step();
            }
            return snapshot(model);
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {2, 3})
    void ranksOnDisjointShardsMatchOneProcessOnTheGlobalBatch(int world) throws Exception {
        Map<String, float[]> init;
        try (Sequential m = mlp()) {
            init = snapshot(m);
        }
        Map<String, float[]> expected = trainAlone(init);
        TcpOptions opts = LocalRanks.fast().withBucketBytes(100); // 3 buckets for a 5-16-8-3 MLP
        List<Object[]> results = LocalRanks.run(world, opts, pg -> {
            Sequential model = mlp(); // drawn differently on every rank: the broadcast must fix that
            if (pg.rank() == 0) {
                load(model, init);
            }
            try (var ddp = new DistributedDataParallel<>(model, pg);
                 SGD opt = new SGD(model.parameters(), SGD.options().lr(0.1).set("momentum", 0.9))) {
                int per = GLOBAL_BATCH / world;
                Tensor x = features().narrow(0, (long) pg.rank() * per, per);
                Tensor y = targets().narrow(0, (long) pg.rank() * per, per);
                MSELoss loss = new MSELoss();
                int overlapped = 0;
                for (int s = 0; s < STEPS; s++) {
                    opt.zeroGrad();
                    loss.forward(ddp.forward(x), y).backward();
                    overlapped += ddp.bucketsLaunchedDuringLastBackward();
                    opt.step();
                }
                return new Object[] {snapshot(model), ddp.bucketCount(), overlapped};
            }
        });
        for (int r = 0; r < world; r++) {
            @SuppressWarnings("unchecked")
            Map<String, float[]> got = (Map<String, float[]>) results.get(r)[0];
            @SuppressWarnings("unchecked")
            Map<String, float[]> rank0 = (Map<String, float[]>) results.get(0)[0];
            for (String k : expected.keySet()) {
                assertArrayEquals(rank0.get(k), got.get(k), 0f, "rank " + r + " " + k + " differs from rank 0");
                assertArrayEquals(expected.get(k), got.get(k), 2e-5f, "rank " + r + " " + k + " vs one process");
            }
        }
        int buckets = (int) results.get(0)[1];
        assertTrue(buckets >= 3, "expected several buckets, got " + buckets);
        assertTrue((int) results.get(0)[2] > 0, "no bucket started before backward ended");
    }

    /**
     * The same promise with every rank's model and data on a GPU (a stand-in device here: CPU kernels over separate
     * "device" memory): gradients and the initial broadcast go through host staging, and the result equals the
     * one-process CPU run; every device byte is freed.
     */
    @Test
    void ranksOnADeviceMatchOneProcessThroughHostStaging() throws Exception {
        Map<String, float[]> init;
        try (Sequential m = mlp()) {
            init = snapshot(m);
        }
        Map<String, float[]> expected = trainAlone(init);
        Device gpu = Device.cuda(0);
        try (HostDeviceBackend device = HostDeviceBackend.install()) {
            List<Object[]> results = LocalRanks.run(2, LocalRanks.fast().withBucketBytes(100), pg -> {
                Sequential model = mlp();
                if (pg.rank() == 0) {
                    load(model, init);
                }
                model.to(gpu);
                try (var ddp = new DistributedDataParallel<>(model, pg);
                     SGD opt = new SGD(model.parameters(), SGD.options().lr(0.1).set("momentum", 0.9));
                     var scope = TensorScope.open()) {
                    int per = GLOBAL_BATCH / 2;
                    Tensor x = features().narrow(0, (long) pg.rank() * per, per).to(gpu);
                    Tensor y = targets().narrow(0, (long) pg.rank() * per, per).to(gpu);
                    MSELoss loss = new MSELoss();
                    for (int s = 0; s < STEPS; s++) {
                        opt.zeroGrad();
                        loss.forward(ddp.forward(x), y).backward();
                        opt.step();
                    }
                    assertEquals(gpu, model.parameters().get(0).device());
                    return new Object[] {snapshot(model)};
                } finally {
                    model.close();
                }
            });
            for (int r = 0; r < 2; r++) {
                @SuppressWarnings("unchecked")
                Map<String, float[]> got = (Map<String, float[]>) results.get(r)[0];
                for (String k : expected.keySet()) {
                    assertArrayEquals(expected.get(k), got.get(k), 2e-5f, "rank " + r + " " + k + " vs one process");
                }
            }
        }
    }

    /** y = x w^T with w of shape [1, 3]: the gradient of sum(y) is the column sums of x, exactly. */
    static float[] gradAfter(DistributedDataParallel<Linear> ddp, float[] rows) {
        Tensor x = Tensor.of(rows).view(-1, 3);
        ddp.forward(x).sum().backward();
        return ddp.module().weight().grad().toFloatArray();
    }

    @Test
    void noSyncAccumulatesLocallyAndTheNextSyncedBackwardAveragesTheSum() throws Exception {
        List<float[][]> results = LocalRanks.run(2, LocalRanks.fast(), pg -> {
            Linear lin = new Linear(3, 1, false);
            try (var ddp = new DistributedDataParallel<>(lin, pg)) {
                float r = pg.rank();
                float[] local;
                try (var guard = ddp.noSync()) {
                    gradAfter(ddp, new float[] {1 + r, 2, 3});
                    local = gradAfter(ddp, new float[] {10 * r, 0, 1});
                }
                float[] synced = gradAfter(ddp, new float[] {1, 1, 1});
                return new float[][] {local, synced};
            }
        });
        assertArrayEquals(new float[] {1, 2, 4}, results.get(0)[0], "rank 0 accumulates [1,2,3] + [0,0,1] locally");
        assertArrayEquals(new float[] {12, 2, 4}, results.get(1)[0], "rank 1 accumulates [2,2,3] + [10,0,1] locally");
        // synced = mean over ranks of (local sum + [1, 1, 1]) = ([2, 3, 5] + [13, 3, 5]) / 2
        for (float[][] r : results) {
            assertArrayEquals(new float[] {7.5f, 3, 5}, r[1]);
        }
    }

    /** A module whose second layer only rank 0 uses, and whose third layer nobody uses. */
    static final class Branchy extends Module {
        final Linear a = registerModule("a", new Linear(2, 2, false));
        final Linear b = registerModule("b", new Linear(2, 2, false));
        final Linear unused = registerModule("unused", new Linear(2, 2, false));
        boolean useB;

        @Override
        public Tensor forward(Tensor x) {
            Tensor h = a.forward(x);
            return useB ? b.forward(h) : h;
        }
    }

    @Test
    void parametersWithoutAGradientCountAsZeros() throws Exception {
        List<float[][]> results = LocalRanks.run(2, LocalRanks.fast().withBucketBytes(16), pg -> {
            Branchy m = new Branchy();
            try (var ddp = new DistributedDataParallel<>(m, pg)) {
                m.useB = pg.rank() == 0;
                ddp.forward(Tensor.ones(1, 2)).sum().backward();
                return new float[][] {m.b.weight().grad().toFloatArray(), m.unused.weight().grad().toFloatArray(),
                        m.a.weight().grad().toFloatArray()};
            }
        });
        assertArrayEquals(results.get(0)[0], results.get(1)[0], "b's gradient is averaged with rank 1's zeros");
        assertArrayEquals(results.get(0)[2], results.get(1)[2]);
        assertArrayEquals(new float[4], results.get(0)[1], "unused everywhere: zero gradient");
        float[] bGrad = results.get(0)[0];
        boolean nonZero = false;
        for (float v : bGrad) {
            nonZero |= v != 0;
        }
        assertTrue(nonZero, "rank 0's gradient of b must survive the average (halved)");
    }

    @Test
    void averageGradientsAveragesEveryDtypeAndTreatsMissingGradientsAsZero() throws Exception {
        List<double[]> results = LocalRanks.run(3, LocalRanks.fast(), pg -> {
            Tensor f = Tensor.zeros(2).requiresGrad_(true);
            Tensor d = Tensor.zeros(DType.FLOAT64, 3).requiresGrad_(true);
            Tensor none = Tensor.zeros(1).requiresGrad_(true);
            Tensor frozen = Tensor.of(5f);
            f.setGrad(Tensor.of(1f + pg.rank(), 2f));
            d.setGrad(Tensor.of(3.0 * pg.rank(), 1, 0));
            if (pg.rank() == 1) {
                none.setGrad(Tensor.of(9f));
            }
            DistributedDataParallel.averageGradients(pg, List.of(f, frozen, d, none));
            List<Double> out = new ArrayList<>();
            for (float v : f.grad().toFloatArray()) {
                out.add((double) v);
            }
            for (double v : d.grad().toDoubleArray()) {
                out.add(v);
            }
            out.add(none.grad().item());
            out.add(frozen.grad() == null ? -1.0 : 1.0);
            return out.stream().mapToDouble(Double::doubleValue).toArray();
        });
        for (double[] r : results) {
            assertArrayEquals(new double[] {2, 2, 3, 1, 0, 3, -1}, r, 1e-6);
        }
    }

    @Test
    void closingStopsTheCommunicationThread() throws Exception {
        LocalRanks.run(2, LocalRanks.fast(), pg -> {
            try (var ddp = new DistributedDataParallel<>(new Linear(3, 1), pg)) {
                ddp.forward(Tensor.ones(2, 3)).sum().backward();
                assertEquals(1, ddp.bucketCount());
            }
            return null;
        });
        assertEquals(List.of(), LocalRanks.kilnThreads());
    }
}
