package dev.kiln.tensor;

import dev.kiln.backend.Backend;
import dev.kiln.backend.MemoryKernels;
import dev.kiln.ops.InPlace;
import dev.kiln.ops.Indexing;
import dev.kiln.ops.Pointwise;
import dev.kiln.ops.Views;

/**
 * The view, element-access and in-place methods of {@link Tensor}: reshaping views that share storage, moves
 * between dtypes and devices, reads and writes of single elements (through the device's backend), and the
 * in-place ops, which write through the tensor's memory. Like {@link TensorMath}, a separate class only to keep
 * {@code Tensor.java} readable; it has no state.
 */
abstract class TensorViews extends TensorMath {
    TensorViews() {
    }

    private Tensor self() {
        Tensor t = (Tensor) this;
        t.touch(); // a use of this tensor by whoever called (leak tracking)
        return t;
    }

    // ---------------------------------------------------------------- element access

    /** Reads the element at storage index {@code storageIndex} as a double. */
    public double getDouble(long storageIndex) {
        return memory().getDouble(self().arg(), storageIndex); // the argument keeps this tensor reachable
    }

    /** Reads the element at storage index {@code storageIndex} as a long (floating types are truncated). */
    public long getLong(long storageIndex) {
        return memory().getLong(self().arg(), storageIndex);
    }

    private MemoryKernels memory() {
        return Backend.of(self().device()).memory();
    }

    /** Storage index of the element at a multi-index. */
    public long storageIndex(long... index) {
        Tensor t = self();
        long[] shape = t.shapeUntracked();
        long[] strides = t.stridesUntracked();
        if (index.length != shape.length) {
            throw new IllegalArgumentException("expected " + shape.length + " indices for tensor of shape "
                    + Shapes.str(shape) + ", got " + index.length);
        }
        long p = t.storageOffsetUntracked();
        for (int i = 0; i < index.length; i++) {
            long ix = index[i] < 0 ? index[i] + shape[i] : index[i];
            if (ix < 0 || ix >= shape[i]) {
                throw new IndexOutOfBoundsException("index " + index[i] + " is out of bounds for dimension " + i
                        + " with size " + shape[i]);
            }
            p += ix * strides[i];
        }
        return p;
    }

    /** The element at a multi-index, as a double. */
    public double get(long... index) {
        return getDouble(storageIndex(index));
    }

    /** Writes one element, like {@code t[i, j] = value}; counts as an in-place modification. */
    public Tensor set(double value, long... index) {
        Tensor t = self();
        memory().putDouble(t.arg(), storageIndex(index), value);
        t.storage().bumpVersion();
        return t; // returning it keeps it reachable through the write
    }

    /** The value of a one-element tensor, like {@code tensor.item()}. */
    public double item() {
        Tensor t = self();
        t.checkOpen(); // a released tensor says so, whatever its size
        if (t.numel() != 1) {
            throw new IllegalStateException("a Tensor with " + t.numel() + " elements cannot be converted to Scalar"
                    + " (shape " + Shapes.str(t.shapeUntracked()) + ")");
        }
        return getDouble(t.storageOffsetUntracked());
    }

    // ---------------------------------------------------------------- views

    public Tensor view(long... shape) {
        return Views.view(self(), shape);
    }

    public Tensor reshape(long... shape) {
        return Views.reshape(self(), shape);
    }

    public Tensor transpose(long dim0, long dim1) {
        return Views.transpose(self(), dim0, dim1);
    }

    /** Transpose of a tensor of at most 2 dims, like {@code t()}. */
    public Tensor t() {
        return Views.t(self());
    }

    /** Swaps the last two dims (batched matrix transpose), like {@code .mT}. */
    public Tensor mT() {
        return Views.transpose(self(), -2, -1);
    }

    public Tensor permute(long... dims) {
        return Views.permute(self(), dims);
    }

    public Tensor squeeze() {
        return Views.squeeze(self());
    }

    public Tensor squeeze(long dim) {
        return Views.squeeze(self(), dim);
    }

    public Tensor unsqueeze(long dim) {
        return Views.unsqueeze(self(), dim);
    }

    /** Broadcasts singleton dims to a larger size without copying; -1 keeps a size. */
    public Tensor expand(long... sizes) {
        return Views.expand(self(), sizes);
    }

    public Tensor expandAs(Tensor other) {
        return Views.expand(self(), other.shapeUntracked());
    }

    public Tensor narrow(long dim, long start, long length) {
        return Views.narrow(self(), dim, start, length);
    }

    public Tensor select(long dim, long index) {
        return Views.select(self(), dim, index);
    }

    /** {@code t[..., start:end:step, ...]} along {@code dim}; negative and out-of-range bounds clamp as in Python. */
    public Tensor slice(long dim, long start, long end, long step) {
        return Views.slice(self(), dim, start, end, step);
    }

    public Tensor slice(long dim, long start, long end) {
        return Views.slice(self(), dim, start, end, 1);
    }

    public Tensor flatten() {
        return Views.flatten(self(), 0, -1);
    }

    public Tensor flatten(long startDim, long endDim) {
        return Views.flatten(self(), startDim, endDim);
    }

    public Tensor unflatten(long dim, long... sizes) {
        return Views.unflatten(self(), dim, sizes);
    }

    /** This tensor if already contiguous, else a contiguous copy. */
    public Tensor contiguous() {
        return Views.contiguous(self());
    }

    public Tensor clone() {
        return Views.cloneTensor(self());
    }

    public Tensor to(DType target) {
        return Views.to(self(), target);
    }

    /** {@code to(DType.FLOAT16)}: IEEE half precision, rounded to nearest even (PyTorch's {@code .half()}). */
    public Tensor half() {
        return to(DType.FLOAT16);
    }

    /** {@code to(DType.BFLOAT16)}: bfloat16, rounded to nearest even (PyTorch's {@code .bfloat16()}). */
    public Tensor bfloat16() {
        return to(DType.BFLOAT16);
    }

    public Tensor to(Device target) {
        return Views.to(self(), target);
    }

    // ---------------------------------------------------------------- in place (names end with _)
    // The flag says whether the op's gradient reads the original self (then it runs on a clone; see InPlace).

    public Tensor add_(Tensor other) {
        return InPlace.apply(self(), s -> Pointwise.add(s, other), false, "add_");
    }

    public Tensor add_(double other) {
        return InPlace.apply(self(), s -> Pointwise.add(s, other), false, "add_");
    }

    public Tensor sub_(Tensor other) {
        return InPlace.apply(self(), s -> Pointwise.sub(s, other), false, "sub_");
    }

    public Tensor sub_(double other) {
        return InPlace.apply(self(), s -> Pointwise.add(s, -other), false, "sub_");
    }

    public Tensor mul_(Tensor other) {
        return InPlace.apply(self(), s -> Pointwise.mul(s, other), other.requiresGrad(), "mul_");
    }

    public Tensor mul_(double other) {
        return InPlace.apply(self(), s -> Pointwise.mul(s, other), false, "mul_");
    }

    public Tensor div_(Tensor other) {
        return InPlace.apply(self(), s -> Pointwise.div(s, other), other.requiresGrad(), "div_");
    }

    public Tensor div_(double other) {
        return InPlace.apply(self(), s -> Pointwise.div(s, other), false, "div_");
    }

    public Tensor clamp_(double min, double max) {
        return InPlace.apply(self(), s -> Pointwise.clamp(s, min, max), self().requiresGrad(), "clamp_");
    }

    public Tensor relu_() {
        return InPlace.apply(self(), Pointwise::relu, false, "relu_");
    }

    public Tensor exp_() {
        return InPlace.apply(self(), Pointwise::exp, false, "exp_");
    }

    public Tensor maskedFill_(Tensor mask, double value) {
        return InPlace.apply(self(), s -> Indexing.maskedFill(s, mask, value), false, "masked_fill_");
    }

    public Tensor fill_(double value) {
        return InPlace.fill(self(), value);
    }

    public Tensor zero_() {
        return InPlace.fill(self(), 0);
    }

    /** Copies {@code src} (broadcast, converted to self() dtype) into self() tensor's memory. */
    public Tensor copy_(Tensor src) {
        return InPlace.copy(self(), src);
    }
}
