package dev.kiln.nn;

import static dev.kiln.testing.Assertions.assertClose;

import dev.kiln.tensor.DType;
import dev.kiln.tensor.Tensor;
import dev.kiln.testing.Golden;
import dev.kiln.testing.KilnTest;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * LSTM and GRU against real PyTorch 1.13 ({@code src/test/python/gen_rnn_torch.py}), with torch's own weights:
 * outputs, final states, and the gradients of {@code sum(out * u_o) + sum(h_n * u_h) (+ sum(c_n * u_c))} with
 * respect to the input, the initial states and every parameter.
 */
class RecurrentTorchTest extends KilnTest {
    private static final Golden REF = Golden.load("/dev/kiln/nn/rnn_torch.txt", "gen_rnn_torch.py");
    private static final double TOL = 1e-12;

    static Stream<Arguments> cases() {
        return Stream.of("lstm", "gru").flatMap(kind -> Stream.of(
            Arguments.of(kind + ".l1", 3, 4, 1, true, false),
            Arguments.of(kind + ".l2.bf", 3, 4, 2, true, true),
            Arguments.of(kind + ".l3.nobias", 2, 3, 3, false, false),
            Arguments.of(kind + ".unbatched", 3, 2, 2, true, false)));
    }

    private static Tensor up(Tensor t) { // torch.linspace(-1, 2, n) shaped like t
        double[] u = new double[(int) t.numel()];
        for (int i = 0; i < u.length; i++) {
            u[i] = -1.0 + 3.0 * i / (u.length - 1);
        }
        return Tensor.of(u).reshape(t.shape());
    }

    private static Tensor optional(String key) {
        return REF.has(key) ? REF.tensor(key).requiresGrad_(true) : null;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void matchesPyTorch(String name, int inputSize, int hidden, int layers, boolean bias, boolean batchFirst) {
        boolean lstm = name.startsWith("lstm");
        try (RNNBase m = lstm ? new LSTM(inputSize, hidden, layers, bias, batchFirst, 0.0, DType.FLOAT64)
                : new GRU(inputSize, hidden, layers, bias, batchFirst, 0.0, DType.FLOAT64)) {
            Map<String, Tensor> sd = new LinkedHashMap<>();
            for (String p : m.stateDict().keySet()) {
                sd.put(p, REF.tensor(name + "." + p));
            }
            m.loadStateDict(sd);
            Tensor x = REF.tensor(name + ".x").requiresGrad_(true);
            Tensor h0 = optional(name + ".h0");
            Tensor c0 = optional(name + ".c0");
            RNNOutput out = lstm ? ((LSTM) m).forward(x, h0, c0) : ((GRU) m).forward(x, h0);
            assertClose(out.output(), TOL, REF.values(name + ".output"));
            assertClose(out.hN(), TOL, REF.values(name + ".hn"));
            Tensor loss = out.output().mul(up(out.output())).sum().add(out.hN().mul(up(out.hN())).sum());
            if (lstm) {
                assertClose(out.cN(), TOL, REF.values(name + ".cn"));
                loss = loss.add(out.cN().mul(up(out.cN())).sum());
            }
            loss.backward();
            assertClose(x.grad(), TOL, REF.values(name + ".grad.x"));
            if (h0 != null) {
                assertClose(h0.grad(), TOL, REF.values(name + ".grad.h0"));
            }
            if (c0 != null) {
                assertClose(c0.grad(), TOL, REF.values(name + ".grad.c0"));
            }
            for (Map.Entry<String, Tensor> p : m.namedParameters().entrySet()) {
                assertClose(p.getValue().grad(), TOL, REF.values(name + ".grad." + p.getKey()));
            }
        }
    }
}
