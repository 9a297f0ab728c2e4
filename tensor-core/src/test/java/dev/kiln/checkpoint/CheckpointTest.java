package dev.kiln.checkpoint;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.Kiln;
import dev.kiln.nn.Dropout;
import dev.kiln.nn.Linear;
import dev.kiln.nn.MSELoss;
import dev.kiln.nn.Module;
import dev.kiln.nn.ReLU;
import dev.kiln.nn.Sequential;
import dev.kiln.optim.Adam;
import dev.kiln.optim.Optimizer;
import dev.kiln.optim.lr.LRScheduler;
import dev.kiln.optim.lr.OneCycleLR;
import dev.kiln.tensor.DType;
import dev.kiln.tensor.Generator;
import dev.kiln.tensor.Tensor;
import dev.kiln.tensor.TensorScope;
import dev.kiln.testing.KilnTest;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Resuming is exact: 2 epochs straight equal 1 epoch, save, fresh objects, load, 1 epoch, bit for bit. Shuffling
 * uses its own seeded generator and Dropout the default one, so both RNG states must round-trip; Adam's moments and
 * step counts and a per-batch OneCycleLR (which also cycles beta1) must too.
 */
class CheckpointTest extends KilnTest {
    private static final int N = 48;
    private static final int BATCH = 8;
    private static final int STEPS_PER_EPOCH = N / BATCH;

    @TempDir
    Path dir;

    /** A model, optimizer, scheduler and shuffle generator built from whatever the generators hold now. */
    private record Run(Module model, Optimizer opt, LRScheduler sched, Generator shuffle) implements AutoCloseable {
        @Override
        public void close() {
            opt.close();
            model.close();
        }
    }

    private static Run build(long shuffleSeed) {
        Module model = new Sequential(new Linear(4, 16, true, DType.FLOAT64), new ReLU(), new Dropout(0.25),
                new Linear(16, 1, true, DType.FLOAT64));
        Optimizer opt = new Adam(model.parameters(), Adam.options().lr(0.01).weightDecay(0.01));
        LRScheduler sched = new OneCycleLR(opt, new double[] {0.05}, 2, STEPS_PER_EPOCH, OneCycleLR.config());
        return new Run(model, opt, sched, new Generator(shuffleSeed));
    }

    private static void trainEpoch(Run r, Tensor x, Tensor y) {
        List<Long> order = new ArrayList<>();
        for (long i = 0; i < N; i++) {
            order.add(i);
        }
        for (int i = N - 1; i > 0; i--) { // Fisher-Yates with the run's own generator
            int j = (int) r.shuffle().nextLong(0, i + 1);
            order.set(i, order.set(j, order.get(i)));
        }
        try (var loss = new MSELoss()) {
            for (int b = 0; b < N; b += BATCH) {
                try (var s = TensorScope.open()) {
                    long[] idx = order.subList(b, b + BATCH).stream().mapToLong(Long::longValue).toArray();
                    Tensor index = Tensor.of(idx);
                    r.opt().zeroGrad();
                    loss.forward(r.model().forward(x.indexSelect(0, index)), y.indexSelect(0, index)).backward();
                    r.opt().step();
                    r.sched().step();
                }
            }
        }
        r.opt().zeroGrad();
    }

    private static List<double[]> weights(Module m) {
        List<double[]> out = new ArrayList<>();
        for (Tensor p : m.parameters()) {
            out.add(p.toDoubleArray());
        }
        return out;
    }

    @Test
    void resumeIsBitwiseIdentical() throws IOException {
        Generator data = new Generator(3);
        Tensor x = Tensor.randn(new long[] {N, 4}, DType.FLOAT64, data);
        Tensor y = x.select(1, 0).mul(x.select(1, 1)).sub(x.select(1, 2)).unsqueeze(1);

        List<double[]> straight;
        Kiln.manualSeed(11);
        try (Run r = build(5)) {
            trainEpoch(r, x, y);
            trainEpoch(r, x, y);
            straight = weights(r.model());
        }

        Path path = dir.resolve("ckpt.safetensors");
        Kiln.manualSeed(11);
        List<double[]> afterOne;
        try (Run r = build(5)) {
            trainEpoch(r, x, y);
            afterOne = weights(r.model());
            Checkpoint.save(path, r.model(), r.opt(), r.sched(), 1, STEPS_PER_EPOCH, Map.of("shuffle", r.shuffle()));
        }

        Kiln.manualSeed(999); // fresh objects from a different state: everything must come from the checkpoint
        List<double[]> resumed;
        try (Run r = build(123)) {
            Checkpoint.Resume at = Checkpoint.load(path, r.model(), r.opt(), r.sched(), Map.of("shuffle", r.shuffle()));
            assertEquals(new Checkpoint.Resume(1, STEPS_PER_EPOCH), at);
            List<double[]> loaded = weights(r.model());
            for (int i = 0; i < loaded.size(); i++) {
                assertArrayEquals(afterOne.get(i), loaded.get(i));
            }
            trainEpoch(r, x, y);
            resumed = weights(r.model());
        }
        assertEquals(straight.size(), resumed.size());
        boolean changed = false;
        for (int i = 0; i < straight.size(); i++) {
            assertArrayEquals(straight.get(i), resumed.get(i), "parameter " + i + " differs after resume");
            changed |= !java.util.Arrays.equals(straight.get(i), afterOne.get(i));
        }
        assertTrue(changed, "the second epoch must move the weights");
    }

    @Test
    void withoutRngStateTheRunDiverges() throws IOException {
        // Guards the test above: dropout and shuffling really depend on the generators.
        Generator data = new Generator(3);
        Tensor x = Tensor.randn(new long[] {N, 4}, DType.FLOAT64, data);
        Tensor y = x.select(1, 0).unsqueeze(1);
        Path path = dir.resolve("c.safetensors");
        List<double[]> a;
        Kiln.manualSeed(11);
        try (Run r = build(5)) {
            trainEpoch(r, x, y);
            Checkpoint.save(path, r.model(), r.opt(), r.sched(), 1, STEPS_PER_EPOCH, Map.of("shuffle", r.shuffle()));
            trainEpoch(r, x, y);
            a = weights(r.model());
        }
        try (Run r = build(5)) {
            Checkpoint.load(path, r.model(), r.opt(), r.sched()); // shuffle generator not restored
            Kiln.manualSeed(1234); // nor dropout's
            trainEpoch(r, x, y);
            assertFalse(java.util.Arrays.equals(a.get(0), weights(r.model()).get(0)));
        }
    }

    @Test
    void fileIsPlainSafetensorsWithPrefixedKeys() throws IOException {
        Path path = dir.resolve("m.safetensors");
        try (Run r = build(1)) {
            Checkpoint.save(path, r.model(), r.opt(), null, 0, 0);
        }
        Safetensors.Contents c = Safetensors.read(path);
        assertEquals(List.of("model.0.weight", "model.0.bias", "model.3.weight", "model.3.bias"),
                List.copyOf(c.tensors().keySet()));
        assertEquals(Checkpoint.FORMAT, c.metadata().get("format"));
        assertTrue(c.metadata().get("kiln.checkpoint").contains("\"scheduler\":null"));
    }

    @Test
    void misuse() throws IOException {
        Path plain = dir.resolve("plain.safetensors");
        Safetensors.save(Map.of("w", Tensor.ones(2)), plain);
        try (Run r = build(1)) {
            var e = assertThrows(SafetensorsException.class, () -> Checkpoint.load(plain, r.model(), r.opt(), r.sched()));
            assertTrue(e.getMessage().contains("not a Kiln checkpoint"), e.getMessage());
            Path ok = dir.resolve("ok.safetensors");
            Checkpoint.save(ok, r.model(), r.opt(), r.sched(), 0, 0);
            var missing = assertThrows(IllegalArgumentException.class, () -> Checkpoint.load(ok, r.model(), r.opt(),
                    r.sched(), Map.of("shuffle", new Generator(1))));
            assertEquals(ok + ": checkpoint has no generator 'shuffle'; it has []", missing.getMessage());
            try (Module other = new Sequential(new Linear(4, 3))) {
                var bad = assertThrows(IllegalArgumentException.class, () -> Checkpoint.load(ok, other, null, null));
                assertTrue(bad.getMessage().startsWith("Error(s) in loading state_dict for Sequential"),
                        bad.getMessage());
            }
        }
    }
}
