package dev.kiln.nn;

import static dev.kiln.testing.Assertions.assertClose;
import static dev.kiln.testing.Assertions.assertShape;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.nn.functional.Reduction;
import dev.kiln.tensor.DType;
import dev.kiln.tensor.Tensor;
import dev.kiln.testing.KilnTest;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import org.junit.jupiter.api.Test;

/** ModuleDict, Unflatten and Module.to(DType). */
class ContainersTest extends KilnTest {

    @Test
    void moduleDictRegistersInInsertionOrder() {
        Map<String, Module> m = new LinkedHashMap<>();
        m.put("encoder", new Linear(4, 3));
        m.put("act", new ReLU());
        try (var dict = new ModuleDict(m)) {
            dict.put("head", new Linear(3, 2, false));
            assertEquals(List.of("encoder", "act", "head"), dict.keys());
            assertEquals(List.of("encoder.weight", "encoder.bias", "head.weight"),
                    List.copyOf(dict.stateDict().keySet()));
            assertEquals("ModuleDict(\n  (encoder): Linear(in_features=4, out_features=3, bias=True)\n  (act): ReLU()\n"
                    + "  (head): Linear(in_features=3, out_features=2, bias=False)\n)", dict.toString());
            Module old = dict.put("act", new Tanh());
            assertTrue(old instanceof ReLU);
            assertEquals(List.of("encoder", "act", "head"), dict.keys(), "replacing keeps the position");
            assertTrue(dict.get("act") instanceof Tanh);
            try (Module popped = dict.pop("head")) {
                assertEquals(2, dict.size());
                assertEquals(List.of("encoder.weight", "encoder.bias"), List.copyOf(dict.stateDict().keySet()));
            }
            var e = assertThrows(NoSuchElementException.class, () -> dict.get("nope"));
            assertEquals("'nope'", e.getMessage());
            assertThrows(IllegalArgumentException.class, () -> dict.put("a.b", new ReLU()));
        }
    }

    @Test
    void unflattenInvertsFlatten() {
        try (var un = new Unflatten(1, 2, 5); var un1 = new Unflatten(-1, 3)) {
            Tensor x = Tensor.arange(20).reshape(2, 10);
            Tensor y = un.forward(x);
            assertShape(y, 2, 2, 5);
            assertClose(new Flatten().forward(y), 0, x.toDoubleArray());
            assertEquals("Unflatten(dim=1, unflattened_size=(2, 5))", un.toString());
            assertEquals("Unflatten(dim=-1, unflattened_size=(3,))", un1.toString());
            assertShape(new Unflatten(1, -1, 5).forward(x), 2, 2, 5);
        }
    }

    @Test
    void toDTypeConvertsParametersAndFloatingBuffersInPlace() {
        Linear lin = new Linear(3, 2);
        BatchNorm1d bn = new BatchNorm1d(2);
        var loss = new CrossEntropyLoss(Tensor.of(1f, 2f), -100, Reduction.MEAN, 0);
        try (var model = new ModuleDict()) {
            var net = new Sequential(lin, bn);
            model.put("net", net);
            model.put("loss", loss);
            lin.forward(Tensor.ones(1, 3)).sum().backward();
            double w00 = lin.weight().get(0, 0);
            assertSame(model, model.to(DType.FLOAT64));
            assertSame(lin, net.get(0), "same Module objects");
            for (Tensor p : model.parameters()) {
                assertEquals(DType.FLOAT64, p.dtype());
                assertTrue(p.isLeaf() && p.requiresGrad());
            }
            assertEquals(w00, lin.weight().get(0, 0), 1e-7);
            assertEquals(DType.FLOAT64, lin.weight().grad().dtype());
            assertEquals(DType.FLOAT64, bn.runningMean().dtype());
            assertEquals(DType.INT64, bn.numBatchesTracked().dtype(), "integer buffers are kept");
            assertEquals(DType.FLOAT64, model.namedBuffers().get("loss.weight").dtype());
            Tensor y = net.forward(Tensor.randn(4, 3).to(DType.FLOAT64));
            assertEquals(DType.FLOAT64, y.dtype());
            loss.forward(y, Tensor.of(0L, 1L, 1L, 0L)).backward(); // the loss reads its converted class weights
            assertEquals(DType.FLOAT64, bn.weight().grad().dtype());
            var e = assertThrows(IllegalArgumentException.class, () -> model.to(DType.INT64));
            assertEquals("nn.Module.to only accepts floating point or complex dtypes, but got desired dtype=torch.int64",
                    e.getMessage());
        }
    }

    @Test
    void toDTypeKeepsTiedWeightsTied() {
        try (var a = new Linear(2, 2); var holder = new ModuleDict()) {
            holder.put("a", a);
            holder.put("b", new Shared(a.weight()));
            holder.to(DType.FLOAT64);
            assertSame(a.weight(), ((Shared) holder.get("b")).w());
            assertEquals(2, holder.parameters().size());
        }
    }

    /** A module that registers another module's weight: tied parameters. */
    private static final class Shared extends Module {
        Shared(Tensor w) {
            registerParameter("w", w);
        }

        Tensor w() {
            return parameter("w");
        }

        @Override
        public void close() {
            // the tied tensor is owned (and closed) by the Linear
        }
    }
}
