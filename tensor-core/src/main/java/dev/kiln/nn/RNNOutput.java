package dev.kiln.nn;

import dev.kiln.tensor.LeakTracking;
import dev.kiln.tensor.Tensor;

/**
 * What {@link LSTM} and {@link GRU} return, like PyTorch's {@code output, (h_n, c_n)} tuple.
 *
 * @param output the last layer's hidden state at every step: {@code [B, T, H]} with {@code batchFirst}, else
 *               {@code [T, B, H]} ({@code [T, H]} for unbatched input)
 * @param hN     every layer's final hidden state {@code [numLayers, B, H]}
 * @param cN     every layer's final cell state (LSTM), or null (GRU)
 */
public record RNNOutput(Tensor output, Tensor hN, Tensor cN) {
    /** All three are results, even if the caller reads only some (leak tracking). */
    public RNNOutput {
        LeakTracking.handedOut(output);
        LeakTracking.handedOut(hN);
        LeakTracking.handedOut(cN);
    }
}
