package dev.kiln.nn;

import dev.kiln.autograd.Autograd;
import dev.kiln.nn.functional.Embeddings;
import dev.kiln.nn.init.Init;
import dev.kiln.tensor.DType;
import dev.kiln.tensor.Generator;
import dev.kiln.tensor.Tensor;

/**
 * A lookup table of {@code numEmbeddings} vectors of size {@code embeddingDim}, like {@code torch.nn.Embedding}:
 * integer indices of any shape map to {@code input.shape + [embeddingDim]}. The {@code weight} is drawn from
 * {@code N(0, 1)}; with {@code paddingIdx} that row starts at zero and never receives a gradient, so it stays the
 * "padding" vector during training.
 */
public class Embedding extends Module {
    private final long numEmbeddings;
    private final long embeddingDim;
    private final Long paddingIdx;

    public Embedding(long numEmbeddings, long embeddingDim) {
        this(numEmbeddings, embeddingDim, null, DType.FLOAT32);
    }

    /** @param paddingIdx the padding row (negative counts from the end), or null for none */
    public Embedding(long numEmbeddings, long embeddingDim, Long paddingIdx) {
        this(numEmbeddings, embeddingDim, paddingIdx, DType.FLOAT32);
    }

    public Embedding(long numEmbeddings, long embeddingDim, Long paddingIdx, DType dtype) {
        this.numEmbeddings = numEmbeddings;
        this.embeddingDim = embeddingDim;
        this.paddingIdx = paddingIdx == null ? null : Embeddings.normalizePaddingIdx(paddingIdx, numEmbeddings);
        registerParameter("weight", Tensor.empty(dtype, numEmbeddings, embeddingDim));
        resetParameters(Generator.defaultGenerator());
    }

    /** {@code weight ~ N(0, 1)}, then the padding row zeroed, as PyTorch's {@code reset_parameters}. */
    public void resetParameters(Generator gen) {
        Init.normal_(weight(), 0, 1, gen);
        if (paddingIdx != null) {
            try (var g = Autograd.noGrad()) {
                try (Tensor row = weight().select(0, paddingIdx)) {
                    row.zero_();
                }
            }
        }
    }

    @Override
    public Tensor forward(Tensor input) {
        return Embeddings.embedding(input, weight(), paddingIdx);
    }

    public Tensor weight() {
        return parameter("weight");
    }

    /** The padding row in {@code [0, numEmbeddings)}, or null. */
    public Long paddingIdx() {
        return paddingIdx;
    }

    @Override
    protected String extraRepr() {
        return numEmbeddings + ", " + embeddingDim + (paddingIdx == null ? "" : ", padding_idx=" + paddingIdx);
    }
}
