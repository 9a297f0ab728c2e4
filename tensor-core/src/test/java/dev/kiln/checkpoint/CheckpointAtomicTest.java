package dev.kiln.checkpoint;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.Kiln;
import dev.kiln.nn.Linear;
import dev.kiln.nn.Module;
import dev.kiln.nn.ReLU;
import dev.kiln.nn.Sequential;
import dev.kiln.optim.Adam;
import dev.kiln.optim.Optimizer;
import dev.kiln.optim.ParamGroup;
import dev.kiln.optim.lr.LRScheduler;
import dev.kiln.optim.lr.StepLR;
import dev.kiln.tensor.DType;
import dev.kiln.tensor.Generator;
import dev.kiln.tensor.Tensor;
import dev.kiln.tensor.TensorScope;
import dev.kiln.testing.KilnTest;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;

/** A checkpoint that does not fit changes nothing; streams carry the same checkpoint as files. */
class CheckpointAtomicTest extends KilnTest {
    @TempDir
    Path dir;

    private record Run(Module model, Optimizer opt, LRScheduler sched, Generator gen) implements AutoCloseable {
        @Override
        public void close() {
            opt.close();
            model.close();
        }
    }

    private static Run build(long hidden, int groups) {
        Module model = new Sequential(new Linear(3, hidden, true, DType.FLOAT64), new ReLU(),
                new Linear(hidden, 1, true, DType.FLOAT64));
        List<Tensor> ps = model.parameters();
        Optimizer opt = groups == 1 ? new Adam(ps, Adam.options().lr(0.01))
                : new Adam(List.of(new ParamGroup(ps.subList(0, 2)), new ParamGroup(ps.subList(2, 4))),
                        Adam.options().lr(0.01));
        return new Run(model, opt, new StepLR(opt, 2, 0.5), new Generator(7));
    }

    private static void train(Run r, int steps) {
        for (int i = 0; i < steps; i++) {
            try (var s = TensorScope.open()) {
                r.opt().zeroGrad();
                Tensor x = Tensor.randn(new long[] {4, 3}, DType.FLOAT64, r.gen());
                r.model().forward(x).pow(2).mean().backward();
                r.opt().step();
                r.sched().step();
            }
        }
        r.opt().zeroGrad();
    }

    /** Everything a load could touch, as plain values. */
    private static List<Object> snapshot(Run r) {
        List<Object> out = new ArrayList<>();
        for (Tensor p : r.model().parameters()) {
            out.add(p.toDoubleArray());
        }
        for (var s : r.opt().stateDict().state().values()) {
            for (Object v : s.values()) {
                out.add(v instanceof Tensor t ? t.toDoubleArray() : v);
            }
        }
        out.add(r.opt().paramGroups().get(0).options().toString());
        out.add(r.sched().stateDict().toString());
        out.add(Generator.defaultGenerator().getState());
        out.add(r.gen().getState());
        return out;
    }

    private static void assertSame(List<Object> before, List<Object> after) {
        assertEquals(before.size(), after.size());
        for (int i = 0; i < before.size(); i++) {
            Object b = before.get(i);
            Object a = after.get(i);
            if (b instanceof double[] d) {
                assertArrayEquals(d, (double[]) a, "item " + i);
            } else if (b instanceof long[] l) {
                assertArrayEquals(l, (long[]) a, "item " + i);
            } else {
                assertEquals(b, a, "item " + i);
            }
        }
    }

    private Path saved(long hidden, int groups, String name) throws IOException {
        Path p = dir.resolve(name);
        Kiln.manualSeed(1);
        try (Run r = build(hidden, groups)) {
            train(r, 3);
            Checkpoint.save(p, r.model(), r.opt(), r.sched(), 2, 3, Map.of("data", r.gen()));
        }
        return p;
    }

    private static void assertUnchangedAfterFailure(Run target, Class<? extends Exception> type, String fragment,
                                                    Executable load) {
        List<Object> before = snapshot(target);
        Exception e = assertThrows(type, load);
        assertTrue(e.getMessage().contains(fragment), e.getMessage());
        assertSame(before, snapshot(target));
    }

    @Test
    void aCheckpointThatDoesNotFitChangesNothing() throws IOException {
        Path twoGroups = saved(5, 2, "two.safetensors");
        Path wider = saved(6, 1, "wider.safetensors");
        Path good = saved(5, 1, "good.safetensors");
        Kiln.manualSeed(99);
        try (Run r = build(5, 1)) {
            train(r, 1);
            // optimizer with another group structure: found before anything is copied
            assertUnchangedAfterFailure(r, SafetensorsException.class, "parameter groups",
                    () -> Checkpoint.load(twoGroups, r.model(), r.opt(), r.sched(), Map.of("data", r.gen())));
            // optimizer state shaped for another model
            assertUnchangedAfterFailure(r, SafetensorsException.class, "does not match parameter 0",
                    () -> Checkpoint.load(wider, r.model(), r.opt(), r.sched()));
            // the model does not fit after the scheduler was loaded: the scheduler is rolled back
            assertUnchangedAfterFailure(r, IllegalArgumentException.class, "size mismatch for 0.weight",
                    () -> Checkpoint.load(wider, r.model(), null, r.sched()));
            // a generator the file lacks
            assertUnchangedAfterFailure(r, IllegalArgumentException.class, "no generator 'shuffle'",
                    () -> Checkpoint.load(good, r.model(), r.opt(), r.sched(), Map.of("shuffle", new Generator(1))));
            // the good file still loads
            assertEquals(new Checkpoint.Resume(2, 3), Checkpoint.load(good, r.model(), r.opt(), r.sched(),
                    Map.of("data", r.gen())));
        }
        try (Run r = build(5, 2)) { // a scheduler over two groups cannot take the one-group state
            assertUnchangedAfterFailure(r, IllegalArgumentException.class, "scheduler state does not fit StepLR",
                    () -> Checkpoint.load(good, r.model(), null, r.sched()));
        }
    }

    @Test
    void streamsCarryTheSameCheckpoint() throws IOException {
        Path file = dir.resolve("f.safetensors");
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        List<Object> trained;
        Kiln.manualSeed(3);
        try (Run r = build(4, 1)) {
            train(r, 3);
            Checkpoint.save(file, r.model(), r.opt(), r.sched(), 1, 3, Map.of("data", r.gen()));
            Checkpoint.save(out, r.model(), r.opt(), r.sched(), 1, 3, Map.of("data", r.gen()));
            trained = snapshot(r);
        }
        assertArrayEquals(Files.readAllBytes(file), out.toByteArray());
        Kiln.manualSeed(50);
        try (Run r = build(4, 1)) {
            Checkpoint.Resume at = Checkpoint.load(new ByteArrayInputStream(out.toByteArray()), r.model(), r.opt(),
                    r.sched(), Map.of("data", r.gen()));
            assertEquals(new Checkpoint.Resume(1, 3), at);
            assertSame(trained, snapshot(r));
        }
        try (Run r = build(4, 1)) {
            byte[] truncated = java.util.Arrays.copyOf(out.toByteArray(), out.size() - 8);
            assertUnchangedAfterFailure(r, SafetensorsException.class, "checkpoint stream: file ended early",
                    () -> Checkpoint.load(new ByteArrayInputStream(truncated), r.model(), r.opt(), r.sched()));
        }
    }
}
