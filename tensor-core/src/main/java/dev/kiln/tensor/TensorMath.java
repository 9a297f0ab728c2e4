package dev.kiln.tensor;

import dev.kiln.ops.Creation;
import dev.kiln.ops.Indexing;
import dev.kiln.ops.Joining;
import dev.kiln.ops.Linalg;
import dev.kiln.ops.Pointwise;
import dev.kiln.ops.Reductions;
import dev.kiln.ops.Scans;
import java.util.List;

/**
 * The math methods of {@link Tensor} (pointwise, reductions, linear algebra, joining/indexing, in-place), each a
 * one-line route to its op family in {@code dev.kiln.ops}. A separate class only to keep {@code Tensor.java}
 * readable; it has no state.
 */
abstract class TensorMath extends TensorFactories {
    TensorMath() {
    }

    /** This tensor, for a method that reads its values out (a settled touch; see {@link LeakTracking}). */
    private Tensor values() {
        Tensor t = (Tensor) this;
        t.touch();
        return t;
    }

    private Tensor self() {
        Tensor t = (Tensor) this;
        t.touch(); // every math method is a use of this tensor by whoever called it (leak tracking)
        return t;
    }

    // ---------------------------------------------------------------- Java arrays out (row-major copies)

    public float[] toFloatArray() {
        return Creation.toFloatArray(values());
    }

    public double[] toDoubleArray() {
        return Creation.toDoubleArray(values());
    }

    public long[] toLongArray() {
        return Creation.toLongArray(values());
    }

    public boolean[] toBooleanArray() {
        return Creation.toBooleanArray(values());
    }

    // ---------------------------------------------------------------- pointwise math

    public Tensor add(Tensor other) {
        return Pointwise.add(self(), other);
    }

    public Tensor add(double other) {
        return Pointwise.add(self(), other);
    }

    /** {@code self() + alpha * other}. */
    public Tensor add(Tensor other, double alpha) {
        if (alpha == 1) {
            return Pointwise.add(self(), other);
        }
        try (Tensor scaled = Pointwise.mul(other, alpha)) { // add saves nothing: the scaled copy is a temporary
            return Pointwise.add(self(), scaled);
        }
    }

    public Tensor sub(Tensor other) {
        return Pointwise.sub(self(), other);
    }

    public Tensor sub(double other) {
        return Pointwise.add(self(), -other);
    }

    /** {@code other - self()}, like {@code torch.rsub}. */
    public Tensor rsub(double other) {
        return Pointwise.rsub(self(), other);
    }

    public Tensor mul(Tensor other) {
        return Pointwise.mul(self(), other);
    }

    public Tensor mul(double other) {
        return Pointwise.mul(self(), other);
    }

    public Tensor div(Tensor other) {
        return Pointwise.div(self(), other);
    }

    public Tensor div(double other) {
        return Pointwise.div(self(), other);
    }

    public Tensor pow(Tensor exponent) {
        return Pointwise.pow(self(), exponent);
    }

    public Tensor pow(double exponent) {
        return Pointwise.pow(self(), exponent);
    }

    public Tensor neg() {
        return Pointwise.neg(self());
    }

    public Tensor abs() {
        return Pointwise.abs(self());
    }

    public Tensor exp() {
        return Pointwise.exp(self());
    }

    public Tensor log() {
        return Pointwise.log(self());
    }

    public Tensor sqrt() {
        return Pointwise.sqrt(self());
    }

    public Tensor rsqrt() {
        return Pointwise.rsqrt(self());
    }

    public Tensor sin() {
        return Pointwise.sin(self());
    }

    public Tensor cos() {
        return Pointwise.cos(self());
    }

    public Tensor tanh() {
        return Pointwise.tanh(self());
    }

    public Tensor sigmoid() {
        return Pointwise.sigmoid(self());
    }

    public Tensor relu() {
        return Pointwise.relu(self());
    }

    /** GELU with the exact erf formulation (PyTorch's default, {@code approximate='none'}). */
    public Tensor gelu() {
        return Pointwise.gelu(self());
    }

    public Tensor erf() {
        return Pointwise.erf(self());
    }

    public Tensor sign() {
        return Pointwise.sign(self());
    }

    public Tensor reciprocal() {
        return Pointwise.reciprocal(self());
    }

    public Tensor square() {
        return Pointwise.mul(self(), self());
    }

    public Tensor clamp(double min, double max) {
        return Pointwise.clamp(self(), min, max);
    }

    public Tensor clampMin(double min) {
        return Pointwise.clamp(self(), min, Double.POSITIVE_INFINITY);
    }

    public Tensor clampMax(double max) {
        return Pointwise.clamp(self(), Double.NEGATIVE_INFINITY, max);
    }

    public Tensor minimum(Tensor other) {
        return Pointwise.minimum(self(), other);
    }

    public Tensor maximum(Tensor other) {
        return Pointwise.maximum(self(), other);
    }

    public Tensor eq(Tensor other) {
        return Pointwise.eq(self(), other);
    }

    public Tensor eq(double other) {
        return Pointwise.eq(self(), other);
    }

    public Tensor ne(Tensor other) {
        return Pointwise.ne(self(), other);
    }

    public Tensor ne(double other) {
        return Pointwise.ne(self(), other);
    }

    public Tensor gt(Tensor other) {
        return Pointwise.gt(self(), other);
    }

    public Tensor gt(double other) {
        return Pointwise.gt(self(), other);
    }

    public Tensor ge(Tensor other) {
        return Pointwise.ge(self(), other);
    }

    public Tensor ge(double other) {
        return Pointwise.ge(self(), other);
    }

    public Tensor lt(Tensor other) {
        return Pointwise.lt(self(), other);
    }

    public Tensor lt(double other) {
        return Pointwise.lt(self(), other);
    }

    public Tensor le(Tensor other) {
        return Pointwise.le(self(), other);
    }

    public Tensor le(double other) {
        return Pointwise.le(self(), other);
    }

    public Tensor logicalNot() {
        return Pointwise.logicalNot(self());
    }

    /** {@code condition ? x : y} elementwise, with broadcasting, like {@code torch.where}. */
    public static Tensor where(Tensor condition, Tensor x, Tensor y) {
        return Pointwise.where(condition, x, y);
    }

    // ---------------------------------------------------------------- reductions

    public Tensor sum() {
        return Reductions.sum(self(), null, false);
    }

    public Tensor sum(long dim) {
        return Reductions.sum(self(), new long[] {dim}, false);
    }

    public Tensor sum(long[] dims, boolean keepdim) {
        return Reductions.sum(self(), dims, keepdim);
    }

    public Tensor sum(long dim, boolean keepdim) {
        return Reductions.sum(self(), new long[] {dim}, keepdim);
    }

    public Tensor mean() {
        return Reductions.mean(self(), null, false);
    }

    public Tensor mean(long dim) {
        return Reductions.mean(self(), new long[] {dim}, false);
    }

    public Tensor mean(long dim, boolean keepdim) {
        return Reductions.mean(self(), new long[] {dim}, keepdim);
    }

    public Tensor mean(long[] dims, boolean keepdim) {
        return Reductions.mean(self(), dims, keepdim);
    }

    public Tensor max() {
        return Reductions.max(self());
    }

    public ValuesIndices max(long dim, boolean keepdim) {
        return Reductions.max(self(), dim, keepdim);
    }

    public Tensor min() {
        return Reductions.min(self());
    }

    public ValuesIndices min(long dim, boolean keepdim) {
        return Reductions.min(self(), dim, keepdim);
    }

    public Tensor argmax() {
        return Reductions.argmax(self());
    }

    public Tensor argmax(long dim, boolean keepdim) {
        return Reductions.argmax(self(), dim, keepdim);
    }

    public Tensor argmin() {
        return Reductions.argmin(self());
    }

    public Tensor argmin(long dim, boolean keepdim) {
        return Reductions.argmin(self(), dim, keepdim);
    }

    /** Variance with Bessel's correction (unbiased), over all elements. */
    public Tensor var() {
        return Reductions.var(self(), null, 1, false);
    }

    /** Variance over {@code dims} with {@code correction} (1 = unbiased, 0 = population), like PyTorch. */
    public Tensor var(long[] dims, long correction, boolean keepdim) {
        return Reductions.var(self(), dims, correction, keepdim);
    }

    public Tensor var(long dim, boolean keepdim) {
        return Reductions.var(self(), new long[] {dim}, 1, keepdim);
    }

    public Tensor std() {
        try (Tensor v = Reductions.var(self(), null, 1, false)) { // sqrt saves its output, not v
            return v.sqrt();
        }
    }

    public Tensor std(long dim, boolean keepdim) {
        try (Tensor v = Reductions.var(self(), new long[] {dim}, 1, keepdim)) {
            return v.sqrt();
        }
    }

    public Tensor std(long[] dims, long correction, boolean keepdim) {
        try (Tensor v = Reductions.var(self(), dims, correction, keepdim)) {
            return v.sqrt();
        }
    }

    /** Cumulative sum along {@code dim}, like {@code torch.cumsum}; integral and bool inputs give int64. */
    public Tensor cumsum(long dim) {
        return Scans.cumsum(self(), dim, null);
    }

    /** Cumulative sum along {@code dim}, computed in (and returned as) {@code dtype}. */
    public Tensor cumsum(long dim, DType dtype) {
        return Scans.cumsum(self(), dim, dtype);
    }

    /** Cumulative product along {@code dim}, like {@code torch.cumprod}; integral and bool inputs give int64. */
    public Tensor cumprod(long dim) {
        return Scans.cumprod(self(), dim, null);
    }

    /** Cumulative product along {@code dim}, computed in (and returned as) {@code dtype}. */
    public Tensor cumprod(long dim, DType dtype) {
        return Scans.cumprod(self(), dim, dtype);
    }

    public Tensor softmax(long dim) {
        return Reductions.softmax(self(), dim);
    }

    public Tensor logSoftmax(long dim) {
        return Reductions.logSoftmax(self(), dim);
    }

    public Tensor logsumexp(long dim, boolean keepdim) {
        return Reductions.logsumexp(self(), dim, keepdim);
    }

    // ---------------------------------------------------------------- linear algebra

    /** Matrix product with PyTorch's rules for 1-d, 2-d and batched (broadcast) operands. */
    public Tensor matmul(Tensor other) {
        return Linalg.matmul(self(), other);
    }

    public Tensor mm(Tensor other) {
        return Linalg.mm(self(), other);
    }

    public Tensor bmm(Tensor other) {
        return Linalg.bmm(self(), other);
    }

    // ---------------------------------------------------------------- joining and indexing

    public static Tensor cat(List<Tensor> tensors, long dim) {
        return Joining.cat(tensors, dim);
    }

    public static Tensor stack(List<Tensor> tensors, long dim) {
        return Joining.stack(tensors, dim);
    }

    public List<Tensor> split(long splitSize, long dim) {
        return Joining.split(self(), splitSize, dim);
    }

    public List<Tensor> split(long[] sizes, long dim) {
        return Joining.split(self(), sizes, dim);
    }

    public List<Tensor> chunk(long chunks, long dim) {
        return Joining.chunk(self(), chunks, dim);
    }

    public Tensor gather(long dim, Tensor index) {
        return Indexing.gather(self(), dim, index);
    }

    /** Out-of-place scatter: a copy of self() with {@code src} values written at {@code index} along {@code dim}. */
    public Tensor scatter(long dim, Tensor index, Tensor src) {
        return Indexing.scatter(self(), dim, index, src);
    }

    public Tensor scatterAdd(long dim, Tensor index, Tensor src) {
        return Indexing.scatterAdd(self(), dim, index, src);
    }

    public Tensor indexSelect(long dim, Tensor index) {
        return Indexing.indexSelect(self(), dim, index);
    }

    public Tensor maskedFill(Tensor mask, double value) {
        return Indexing.maskedFill(self(), mask, value);
    }

    /** One-hot encoding of an integer tensor, like {@code F.one_hot}; -1 infers the class count. */
    public static Tensor oneHot(Tensor labels, long numClasses) {
        return Indexing.oneHot(labels, numClasses);
    }
}
