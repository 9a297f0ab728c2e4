package dev.kiln.checkpoint;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.kiln.nn.Linear;
import dev.kiln.nn.Module;
import dev.kiln.nn.ReLU;
import dev.kiln.nn.Sequential;
import dev.kiln.optim.Adam;
import dev.kiln.optim.Optimizer;
import dev.kiln.optim.SGD;
import dev.kiln.tensor.DType;
import dev.kiln.tensor.Generator;
import dev.kiln.tensor.Tensor;
import dev.kiln.tensor.TensorScope;
import dev.kiln.testing.KilnTest;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Function;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Half-precision models train (the optimizers compose their update from half ops: the fused kernels decline these
 * dtypes), and a checkpoint of half parameters and optimizer state resumes bit for bit, stored as F16/BF16.
 */
class HalfCheckpointTest extends KilnTest {
    @TempDir
    Path dir;

    enum Opt { ADAM, SGD_MOMENTUM }

    private static Module model(DType dtype) {
        Module m = new Sequential(new Linear(3, 8, true, DType.FLOAT32), new ReLU(), new Linear(8, 1, true,
                DType.FLOAT32));
        m.to(dtype);
        return m;
    }

    private static Optimizer optimizer(Opt kind, Module m) {
        return kind == Opt.ADAM ? new Adam(m.parameters(), Adam.options().lr(0.01))
                : new SGD(m.parameters(), SGD.options().lr(0.05).set("momentum", 0.9));
    }

    private static void steps(Module m, Optimizer opt, DType dtype, int n, long seed) {
        Generator g = new Generator(seed);
        for (int i = 0; i < n; i++) {
            try (TensorScope s = TensorScope.open()) {
                Tensor x = Tensor.randn(new long[] {4, 3}, DType.FLOAT32, g).to(dtype);
                opt.zeroGrad();
                Tensor loss = m.forward(x).pow(2).mean();
                assertEquals(dtype, loss.dtype());
                loss.backward();
                opt.step();
            }
        }
    }

    @ParameterizedTest
    @EnumSource(Opt.class)
    void halfParamsTrainAndResumeExactly(Opt kind) throws IOException {
        for (DType dtype : List.of(DType.FLOAT16, DType.BFLOAT16)) {
            try (TensorScope scope = TensorScope.open()) { // optimizer state included
                check(kind, dtype);
            }
        }
    }

    private void check(Opt kind, DType dtype) throws IOException {
        {
            Module a = model(dtype);
            Optimizer oa = optimizer(kind, a);
            steps(a, oa, dtype, 3, 1);
            Path p = dir.resolve(kind + "-" + dtype + ".safetensors");
            Checkpoint.save(p, a, oa, null, 0, 3);
            Module b = model(dtype);
            Optimizer ob = optimizer(kind, b);
            Checkpoint.load(p, b, ob, null);
            steps(a, oa, dtype, 2, 2);
            steps(b, ob, dtype, 2, 2);
            Function<Module, float[]> first = m -> m.parameters().get(0).toFloatArray();
            assertEquals(dtype, b.parameters().get(0).dtype());
            assertArrayEquals(first.apply(a), first.apply(b), 0f);
            oa.close();
            ob.close();
            a.close();
            b.close();
        }
    }
}
