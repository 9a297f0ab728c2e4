package dev.kiln.nn;

import static dev.kiln.testing.Assertions.assertClose;
import static dev.kiln.testing.Assertions.assertShape;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.autograd.GradCheck;
import dev.kiln.tensor.DType;
import dev.kiln.tensor.Tensor;
import dev.kiln.testing.Golden;
import dev.kiln.testing.KilnTest;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** MultiheadAttention against numpy float64 references (gen_attention_references.py), gradcheck, keys, errors. */
class MultiheadAttentionTest extends KilnTest {
    private static final Golden REF = Golden.load("/dev/kiln/nn/attention_references.txt",
            "gen_attention_references.py");

    private static MultiheadAttention loaded(String c, long heads, boolean batchFirst) {
        long e = REF.shape(c + ".q")[2];
        MultiheadAttention m = new MultiheadAttention(e, heads, 0.0, true, batchFirst);
        m.to(DType.FLOAT64);
        Map<String, Tensor> state = new LinkedHashMap<>();
        for (String k : List.of("in_proj_weight", "in_proj_bias", "out_proj.weight", "out_proj.bias")) {
            state.put(k, REF.tensor(c + "." + k));
        }
        m.loadStateDict(state, true);
        return m;
    }

    @Test
    void plainAttentionMatchesReference() {
        try (MultiheadAttention m = loaded("plain", 2, false)) {
            MultiheadAttention.Output o = m.forward(REF.tensor("plain.q"), REF.tensor("plain.k"), REF.tensor("plain.v"));
            assertClose(o.output(), 1e-10, REF.values("plain.out"));
            assertClose(o.weights(), 1e-10, REF.values("plain.weights"));
            assertShape(o.weights(), 2, 3, 4);
        }
    }

    @Test
    void boolAttnMaskAndKeyPaddingMaskMatchReference() {
        try (MultiheadAttention m = loaded("masked", 3, false)) {
            Tensor mask = REF.tensor("masked.attn_mask").ne(0);
            Tensor kpm = REF.tensor("masked.key_padding_mask").ne(0);
            MultiheadAttention.Output o = m.forward(REF.tensor("masked.q"), REF.tensor("masked.k"),
                    REF.tensor("masked.v"), kpm, true, mask);
            assertClose(o.output(), 1e-10, REF.values("masked.out"));
            assertClose(o.weights(), 1e-10, REF.values("masked.weights"));
        }
    }

    @Test
    void batchFirstWithFloatMaskMatchesReference() {
        try (MultiheadAttention m = loaded("floatmask", 2, true)) {
            MultiheadAttention.Output o = m.forward(REF.tensor("floatmask.q").transpose(0, 1),
                    REF.tensor("floatmask.k").transpose(0, 1), REF.tensor("floatmask.v").transpose(0, 1), null, true,
                    REF.tensor("floatmask.attn_mask"));
            assertClose(o.output().transpose(0, 1).contiguous(), 1e-10, REF.values("floatmask.out"));
        }
    }

    @Test
    void gradientsMatchFiniteDifferences() {
        try (MultiheadAttention m = loaded("plain", 2, false)) {
            Tensor q = REF.tensor("plain.q").requiresGrad_(true);
            Tensor k = REF.tensor("plain.k").requiresGrad_(true);
            Tensor v = REF.tensor("plain.v").requiresGrad_(true);
            GradCheck.check(in -> m.forward(in.get(0), in.get(1), in.get(2)).output(), List.of(q, k, v));
            Tensor w = m.parameters().get(0);
            GradCheck.check(in -> m.forward(q, k, v).output(), List.of(w));
        }
    }

    @Test
    void stateDictKeysAndReprMatchPyTorch() {
        try (MultiheadAttention m = new MultiheadAttention(8, 2)) {
            assertEquals(List.of("in_proj_weight", "in_proj_bias", "out_proj.weight", "out_proj.bias"),
                    List.copyOf(m.stateDict().keySet()));
            assertEquals("MultiheadAttention(\n  (out_proj): NonDynamicallyQuantizableLinear(in_features=8, "
                    + "out_features=8, bias=True)\n)", m.toString());
            assertEquals(0, m.parameters().get(1).abs().sum().item(), "in_proj_bias starts at zero");
        }
    }

    @Test
    void badInputsAreNamed() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new MultiheadAttention(10, 3));
        assertTrue(e.getMessage().contains("divisible"), e.getMessage());
        try (MultiheadAttention m = new MultiheadAttention(4, 2)) {
            Tensor x = Tensor.randn(3, 2, 4);
            e = assertThrows(IllegalArgumentException.class,
                    () -> m.forward(x, x, x, null, false, Tensor.zeros(DType.BOOL, 2, 2)));
            assertTrue(e.getMessage().contains("attn_mask"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> m.forward(Tensor.randn(3, 2, 5)));
            assertTrue(e.getMessage().contains("embedding dimension of 4"), e.getMessage());
        }
    }
}
