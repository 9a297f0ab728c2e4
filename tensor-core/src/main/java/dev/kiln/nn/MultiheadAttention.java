package dev.kiln.nn;

import dev.kiln.nn.functional.F;
import dev.kiln.nn.init.Init;
import dev.kiln.tensor.DType;
import dev.kiln.tensor.Shapes;
import dev.kiln.tensor.LeakTracking;
import dev.kiln.tensor.Tensor;
import dev.kiln.tensor.TensorScope;

/**
 * Multi-head attention, like {@code torch.nn.MultiheadAttention} (same parameters, names, init and masks):
 * {@code MultiHead(Q, K, V) = Concat(head_1..head_h) W_O^T + b_O} with
 * {@code head_i = softmax(Q W_Qi^T (K W_Ki^T)^T / sqrt(d_head) + mask) V W_Vi^T} (Vaswani et al. 2017).
 *
 * <p>Parameters: {@code in_proj_weight [3E, E]} (Xavier-uniform), {@code in_proj_bias [3E]} (zeros) and the
 * output projection {@code out_proj} (a Linear with zero bias). Inputs are {@code [L, N, E]} (or {@code [N, L, E]}
 * with {@code batchFirst}). Masks follow PyTorch's MHA convention: a boolean {@code attnMask} ({@code [L, S]} or
 * {@code [N*heads, L, S]}) or {@code keyPaddingMask} ({@code [N, S]}) is {@code true} where attention is NOT
 * allowed; a floating {@code attnMask} is added to the scores.
 */
public class MultiheadAttention extends Module {
    private final long embedDim;
    private final long numHeads;
    private final double dropout;
    private final boolean batchFirst;
    private final Linear outProj;

    /** The attention output and, if asked for, the weights averaged over heads ({@code [N, L, S]}). */
    public record Output(Tensor output, Tensor weights) {
        /** Both are results, even if the caller reads only one (leak tracking). */
        public Output {
            LeakTracking.handedOut(output);
            LeakTracking.handedOut(weights);
        }
    }

    public MultiheadAttention(long embedDim, long numHeads) {
        this(embedDim, numHeads, 0.0, true, false);
    }

    public MultiheadAttention(long embedDim, long numHeads, double dropout, boolean bias, boolean batchFirst) {
        if (embedDim <= 0 || numHeads <= 0 || embedDim % numHeads != 0) {
            throw new IllegalArgumentException("embed_dim must be divisible by num_heads (embed_dim=" + embedDim
                    + ", num_heads=" + numHeads + ")");
        }
        F.checkDropoutP(dropout);
        this.embedDim = embedDim;
        this.numHeads = numHeads;
        this.dropout = dropout;
        this.batchFirst = batchFirst;
        registerParameter("in_proj_weight", Tensor.empty(DType.FLOAT32, 3 * embedDim, embedDim));
        registerParameter("in_proj_bias", bias ? Tensor.empty(DType.FLOAT32, 3 * embedDim) : null);
        outProj = registerModule("out_proj", new NonDynamicallyQuantizableLinear(embedDim, embedDim, bias));
        resetParameters();
    }

    /** PyTorch's {@code _reset_parameters}: Xavier-uniform in-projection, zero biases. */
    public void resetParameters() {
        Init.xavierUniform_(parameter("in_proj_weight"));
        if (parameter("in_proj_bias") != null) {
            Init.zeros_(parameter("in_proj_bias"));
            Init.zeros_(outProj().bias());
        }
    }

    public Linear outProj() {
        return outProj;
    }

    /** Self-attention: {@code forward(x, x, x)} without masks, returning the output only (fits a Sequential). */
    @Override
    public Tensor forward(Tensor input) {
        return forward(input, input, input, null, false, null).output();
    }

    public Output forward(Tensor query, Tensor key, Tensor value) {
        return forward(query, key, value, null, true, null);
    }

    public Output forward(Tensor query, Tensor key, Tensor value, Tensor keyPaddingMask, boolean needWeights,
                          Tensor attnMask) {
        checkInputs(query, key, value);
        try (TensorScope temps = TensorScope.openTemporaries()) { // projections, heads, scores: freed here
            Output o = attend(query, key, value, keyPaddingMask, needWeights, attnMask);
            return new Output(temps.handOut(o.output()), temps.handOut(o.weights()));
        }
    }

    private Output attend(Tensor query, Tensor key, Tensor value, Tensor keyPaddingMask, boolean needWeights,
                          Tensor attnMask) {
        Tensor q = batchFirst ? query.transpose(0, 1) : query;
        Tensor k = batchFirst ? key.transpose(0, 1) : key;
        Tensor v = batchFirst ? value.transpose(0, 1) : value;
        long l = q.size(0);
        long n = q.size(1);
        long s = k.size(0);
        long headDim = embedDim / numHeads;
        Tensor w = parameter("in_proj_weight");
        Tensor b = parameter("in_proj_bias");
        Tensor qh = heads(F.linear(q, w.narrow(0, 0, embedDim), part(b, 0)), l, n, headDim);
        Tensor kh = heads(F.linear(k, w.narrow(0, embedDim, embedDim), part(b, 1)), s, n, headDim);
        Tensor vh = heads(F.linear(v, w.narrow(0, 2 * embedDim, embedDim), part(b, 2)), s, n, headDim);
        Tensor scores = qh.mul(1.0 / Math.sqrt(headDim)).matmul(kh.transpose(-2, -1)); // [N*h, L, S]
        scores = applyMasks(scores, attnMask, keyPaddingMask, n, l, s);
        Tensor attn = F.dropout(F.softmax(scores, -1), dropout, isTraining());
        Tensor context = attn.matmul(vh).transpose(0, 1).reshape(l, n, embedDim);
        Tensor out = outProj().forward(context);
        Tensor weights = needWeights ? attn.view(n, numHeads, l, s).mean(1) : null;
        return new Output(batchFirst ? out.transpose(0, 1) : out, weights);
    }

    /** {@code [T, N, E]} to {@code [N*heads, T, headDim]}, the layout of PyTorch's implementation. */
    private Tensor heads(Tensor x, long t, long n, long headDim) {
        return x.reshape(t, n * numHeads, headDim).transpose(0, 1);
    }

    private Tensor part(Tensor bias, int i) {
        return bias == null ? null : bias.narrow(0, i * embedDim, embedDim);
    }

    private Tensor applyMasks(Tensor scores, Tensor attnMask, Tensor keyPaddingMask, long n, long l, long s) {
        Tensor out = scores;
        if (attnMask != null) {
            long[] expect2 = {l, s};
            long[] expect3 = {n * numHeads, l, s};
            if (!java.util.Arrays.equals(attnMask.shape(), expect2) && !java.util.Arrays.equals(attnMask.shape(), expect3)) {
                throw new IllegalArgumentException("The shape of the attn_mask is " + Shapes.str(attnMask.shape())
                        + ", but should be " + Shapes.str(expect2) + " or " + Shapes.str(expect3) + ".");
            }
            out = attnMask.dtype() == DType.BOOL ? out.maskedFill(attnMask, Double.NEGATIVE_INFINITY)
                    : out.add(attnMask);
        }
        if (keyPaddingMask != null) {
            if (!java.util.Arrays.equals(keyPaddingMask.shape(), new long[] {n, s})
                    || keyPaddingMask.dtype() != DType.BOOL) {
                throw new IllegalArgumentException("expected key_padding_mask of shape [" + n + ", " + s
                        + "] and dtype torch.bool, but got " + Shapes.str(keyPaddingMask.shape()) + " "
                        + keyPaddingMask.dtype().torchName());
            }
            out = out.view(n, numHeads, l, s).maskedFill(keyPaddingMask.view(n, 1, 1, s), Double.NEGATIVE_INFINITY)
                    .view(n * numHeads, l, s);
        }
        return out;
    }

    private void checkInputs(Tensor query, Tensor key, Tensor value) {
        if (query.dim() != 3 || key.dim() != 3 || value.dim() != 3) {
            throw new IllegalArgumentException("query, key and value should be 3-D (batched) tensors, but received "
                    + query.dim() + "-D, " + key.dim() + "-D and " + value.dim() + "-D tensors");
        }
        long batchDim = batchFirst ? 0 : 1;
        if (query.size(2) != embedDim) {
            throw new IllegalArgumentException("was expecting embedding dimension of " + embedDim + ", but got "
                    + query.size(2));
        }
        if (!java.util.Arrays.equals(key.shape(), value.shape())) {
            throw new IllegalArgumentException("key shape " + Shapes.str(key.shape()) + " does not match value shape "
                    + Shapes.str(value.shape()));
        }
        if (key.size(batchDim) != query.size(batchDim) || key.size(2) != embedDim) {
            throw new IllegalArgumentException("key/value of shape " + Shapes.str(key.shape())
                    + " do not match query of shape " + Shapes.str(query.shape()) + " (batch and embedding dims)");
        }
    }

    @Override
    protected String extraRepr() {
        return "";
    }

    /** PyTorch names MHA's output projection with this class; kept so {@code toString()} prints the same tree. */
    static final class NonDynamicallyQuantizableLinear extends Linear {
        NonDynamicallyQuantizableLinear(long in, long out, boolean bias) {
            super(in, out, bias);
        }
    }
}
