package dev.kiln.nn;

import static dev.kiln.nn.NormRefs.tensor;
import static dev.kiln.nn.NormRefs.values;
import static dev.kiln.testing.Assertions.assertClose;
import static dev.kiln.testing.Assertions.assertShape;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.Kiln;
import dev.kiln.autograd.GradCheck;
import dev.kiln.nn.functional.Recurrent;
import dev.kiln.tensor.DType;
import dev.kiln.tensor.Generator;
import dev.kiln.tensor.Tensor;
import dev.kiln.testing.KilnTest;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** LSTM/GRU against a numpy float64 unrolled reference (gen_norm_references.py), BPTT gradcheck, names, errors. */
class RecurrentTest extends KilnTest {
    private static final double TOL = 1e-12;

    private static void loadReference(RNNBase rnn, String kind) {
        Map<String, Tensor> sd = new LinkedHashMap<>();
        for (String name : rnn.namedParameters().keySet()) {
            sd.put(name, tensor(kind + "." + name));
        }
        rnn.loadStateDict(sd);
    }

    @Test
    void lstmMatchesNumpyReference() {
        try (var lstm = new LSTM(3, 4, 2, true, true, 0.0, DType.FLOAT64)) {
            assertEquals(List.of("weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0", "weight_ih_l1",
                    "weight_hh_l1", "bias_ih_l1", "bias_hh_l1"), List.copyOf(lstm.stateDict().keySet()));
            loadReference(lstm, "lstm");
            RNNOutput out = lstm.forward(tensor("lstm.x"), tensor("lstm.h0"), tensor("lstm.c0"));
            assertShape(out.output(), 2, 5, 4);
            assertClose(out.output(), TOL, values("lstm.output"));
            assertClose(out.hN(), TOL, values("lstm.hn"));
            assertClose(out.cN(), TOL, values("lstm.cn"));
            // time-major input gives the same numbers
            try (var tm = new LSTM(3, 4, 2, true, false, 0.0, DType.FLOAT64)) {
                tm.loadStateDict(lstm.stateDict());
                RNNOutput o = tm.forward(tensor("lstm.x").transpose(0, 1), tensor("lstm.h0"), tensor("lstm.c0"));
                assertClose(o.output().transpose(0, 1).contiguous(), TOL, values("lstm.output"));
            }
        }
    }

    @Test
    void gruMatchesNumpyReference() {
        try (var gru = new GRU(3, 4, 2, true, true, 0.0, DType.FLOAT64)) {
            loadReference(gru, "gru");
            RNNOutput out = gru.forward(tensor("gru.x"), tensor("gru.h0"));
            assertClose(out.output(), TOL, values("gru.output"));
            assertClose(out.hN(), TOL, values("gru.hn"));
            assertNull(out.cN());
            // unbatched input [T, in] with h0 [L, H]: sample 0 of the batched run
            RNNOutput one = gru.forward(tensor("gru.x").select(0, 0), tensor("gru.h0").select(1, 0));
            assertShape(one.output(), 5, 4);
            assertClose(one.output(), TOL, out.output().select(0, 0).contiguous().toDoubleArray());
            assertShape(one.hN(), 2, 4);
        }
    }

    @Test
    void bpttGradcheck() {
        Generator gen = new Generator(9);
        try (var lstm = new LSTM(2, 3, 2, true, true, 0.0, DType.FLOAT64);
             var gru = new GRU(2, 3, 1, true, false, 0.0, DType.FLOAT64)) {
            Tensor x = Tensor.randn(new long[] {2, 3, 2}, DType.FLOAT64, gen).requiresGrad_(true);
            Tensor h0 = Tensor.randn(new long[] {2, 2, 3}, DType.FLOAT64, gen).requiresGrad_(true);
            Tensor c0 = Tensor.randn(new long[] {2, 2, 3}, DType.FLOAT64, gen).requiresGrad_(true);
            List<Tensor> lstmIn = new java.util.ArrayList<>(List.of(x, h0, c0));
            lstmIn.addAll(lstm.parameters());
            GradCheck.check(in -> {
                RNNOutput o = lstm.forward(in.get(0), in.get(1), in.get(2));
                return o.output().sum().add(o.hN().mul(o.cN()).sum());
            }, lstmIn);
            Tensor g0 = Tensor.randn(new long[] {1, 3, 3}, DType.FLOAT64, gen).requiresGrad_(true);
            List<Tensor> gruIn = new java.util.ArrayList<>(List.of(x, g0));
            gruIn.addAll(gru.parameters());
            GradCheck.check(in -> gru.forward(in.get(0), in.get(1)).output(), gruIn);
        }
    }

    @Test
    void cellsMatchOneStepOfTheLayer() {
        try (var lstm = new LSTM(3, 4, 1, true, false, 0.0, DType.FLOAT64);
             var cell = new LSTMCell(3, 4, true, DType.FLOAT64);
             var gru = new GRU(3, 4, 1, true, false, 0.0, DType.FLOAT64);
             var gcell = new GRUCell(3, 4, true, DType.FLOAT64)) {
            Map<String, Tensor> sd = new LinkedHashMap<>();
            lstm.stateDict().forEach((k, v) -> sd.put(k.replace("_l0", ""), v));
            cell.loadStateDict(sd);
            Tensor x = Tensor.randn(new long[] {2, 3}, DType.FLOAT64, new Generator(1));
            Tensor h = Tensor.randn(new long[] {2, 4}, DType.FLOAT64, new Generator(2));
            Tensor c = Tensor.randn(new long[] {2, 4}, DType.FLOAT64, new Generator(3));
            RNNOutput full = lstm.forward(x.unsqueeze(0), h.unsqueeze(0), c.unsqueeze(0));
            Recurrent.LstmState s = cell.forward(x, h, c);
            assertClose(s.h(), TOL, full.hN().contiguous().toDoubleArray());
            assertClose(s.c(), TOL, full.cN().contiguous().toDoubleArray());
            Map<String, Tensor> gsd = new LinkedHashMap<>();
            gru.stateDict().forEach((k, v) -> gsd.put(k.replace("_l0", ""), v));
            gcell.loadStateDict(gsd);
            assertClose(gcell.forward(x, h), TOL, gru.forward(x.unsqueeze(0), h.unsqueeze(0)).hN()
                    .contiguous().toDoubleArray());
            assertEquals("LSTMCell(3, 4)", cell.toString());
            assertEquals(List.of("weight_ih", "weight_hh", "bias_ih", "bias_hh"),
                    List.copyOf(gcell.stateDict().keySet()));
        }
    }

    @Test
    void initReprAndDropout() {
        Kiln.manualSeed(4);
        try (var lstm = new LSTM(10, 20, 2, true, true, 0.0)) {
            assertEquals("LSTM(10, 20, num_layers=2, batch_first=True)", lstm.toString());
            double k = 1 / Math.sqrt(20);
            for (Tensor p : lstm.parameters()) {
                assertTrue(p.abs().max().item() <= k);
            }
            assertShape(lstm.parameters().get(0), 80, 10);
            assertShape(lstm.parameters().get(4), 80, 20);
        }
        try (var gru = new GRU(4, 5, 3, false, false, 0.25)) {
            assertEquals("GRU(4, 5, num_layers=3, bias=False, dropout=0.25)", gru.toString());
            assertEquals(6, gru.parameters().size());
            Tensor x = Tensor.randn(6, 2, 4);
            gru.train();
            Tensor a = gru.forward(x);
            Tensor b = gru.forward(x);
            assertTrue(a.sub(b).abs().max().item() > 0, "dropout between layers in training");
            gru.eval();
            assertClose(gru.forward(x), 0, gru.forward(x).toDoubleArray());
        }
        try (var gru = new GRU(4, 5)) {
            assertEquals("GRU(4, 5)", gru.toString());
            assertShape(new Sequential().forward(gru.forward(Tensor.randn(3, 2, 4))), 3, 2, 5);
        }
    }

    @Test
    void badInput() {
        try (var lstm = new LSTM(3, 4, 2, true, false, 0.0)) {
            var e = assertThrows(IllegalArgumentException.class, () -> lstm.forward(Tensor.zeros(5, 2, 6)));
            assertEquals("input.size(-1) must be equal to input_size. Expected 3, got 6", e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> lstm.forward(Tensor.zeros(1, 5, 2, 3)));
            assertEquals("LSTM: Expected input to be 2D or 3D, got 4D instead", e.getMessage());
            e = assertThrows(IllegalArgumentException.class,
                    () -> lstm.forward(Tensor.zeros(5, 2, 3), Tensor.zeros(1, 2, 4), null));
            assertEquals("Expected hidden[0] size (2, 2, 4), got [1, 2, 4]", e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> lstm.forward(Tensor.zeros(DType.FLOAT64, 5, 2, 3)));
            assertEquals("input must have the type torch.float32, got type torch.float64", e.getMessage());
        }
        var e = assertThrows(IllegalArgumentException.class, () -> new GRU(3, 0));
        assertEquals("hidden_size must be greater than zero", e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new LSTM(3, 4, 1, true, false, 1.5));
    }
}
