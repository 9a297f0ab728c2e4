package dev.kiln.tensor;

import dev.kiln.ops.Creation;
import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.vector.FieldVector;

/**
 * The PyTorch factory functions ({@code Tensor.zeros}, {@code Tensor.randn}, ...), called through {@link Tensor}.
 * A separate class only to keep {@code Tensor.java} readable; it has no state.
 */
abstract class TensorFactories {
    TensorFactories() {
    }


    public static Tensor of(float... values) {
        return Creation.of(values);
    }

    public static Tensor of(double... values) {
        return Creation.of(values);
    }

    public static Tensor of(long... values) {
        return Creation.of(values);
    }

    public static Tensor of(int... values) {
        return Creation.of(values);
    }

    public static Tensor of(boolean... values) {
        return Creation.of(values);
    }

    public static Tensor of(float[][] values) {
        return Creation.of(values);
    }

    public static Tensor of(double[][] values) {
        return Creation.of(values);
    }

    public static Tensor scalar(double value) {
        return Creation.scalar(value, DType.FLOAT32);
    }

    public static Tensor scalar(double value, DType dtype) {
        return Creation.scalar(value, dtype);
    }

    public static Tensor zeros(long... shape) {
        return Creation.full(shape, 0, DType.FLOAT32);
    }

    public static Tensor zeros(DType dtype, long... shape) {
        return Creation.full(shape, 0, dtype);
    }

    public static Tensor ones(long... shape) {
        return Creation.full(shape, 1, DType.FLOAT32);
    }

    public static Tensor ones(DType dtype, long... shape) {
        return Creation.full(shape, 1, dtype);
    }

    public static Tensor full(long[] shape, double value) {
        return Creation.full(shape, value, DType.FLOAT32);
    }

    public static Tensor full(long[] shape, double value, DType dtype) {
        return Creation.full(shape, value, dtype);
    }

    public static Tensor eye(long n) {
        return Creation.eye(n, n, DType.FLOAT32);
    }

    public static Tensor eye(long n, long m, DType dtype) {
        return Creation.eye(n, m, dtype);
    }

    /** {@code [0, end)} as int64, like {@code torch.arange(end)}. */
    public static Tensor arange(long end) {
        return Creation.arange(0, end, 1, DType.INT64);
    }

    public static Tensor arange(double start, double end, double step) {
        boolean integral = start == Math.rint(start) && end == Math.rint(end) && step == Math.rint(step);
        return Creation.arange(start, end, step, integral ? DType.INT64 : DType.FLOAT32);
    }

    public static Tensor arange(double start, double end, double step, DType dtype) {
        return Creation.arange(start, end, step, dtype);
    }

    public static Tensor linspace(double start, double end, long steps) {
        return Creation.linspace(start, end, steps, DType.FLOAT32);
    }

    public static Tensor rand(long... shape) {
        return Creation.rand(shape, DType.FLOAT32, Generator.defaultGenerator());
    }

    public static Tensor rand(long[] shape, DType dtype, Generator gen) {
        return Creation.rand(shape, dtype, gen);
    }

    public static Tensor randn(long... shape) {
        return Creation.randn(shape, DType.FLOAT32, Generator.defaultGenerator());
    }

    public static Tensor randn(long[] shape, DType dtype, Generator gen) {
        return Creation.randn(shape, dtype, gen);
    }

    /** Integers uniform in {@code [low, high)}, int64. */
    public static Tensor randint(long low, long high, long... shape) {
        return Creation.randint(low, high, shape, Generator.defaultGenerator());
    }

    public static Tensor randint(long low, long high, long[] shape, Generator gen) {
        return Creation.randint(low, high, shape, gen);
    }

    /** Zeros of {@code dtype} on {@code device} ({@code torch.zeros(shape, dtype=, device=)}). */
    public static Tensor zeros(DType dtype, Device device, long... shape) {
        return Creation.full(device, shape, 0, dtype);
    }

    /** Ones of {@code dtype} on {@code device}. */
    public static Tensor ones(DType dtype, Device device, long... shape) {
        return Creation.full(device, shape, 1, dtype);
    }

    // The *Like factories take t's shape, dtype and device, as in PyTorch.

    public static Tensor zerosLike(Tensor t) {
        return Creation.full(t.device(), t.shape(), 0, t.dtype());
    }

    public static Tensor onesLike(Tensor t) {
        return Creation.full(t.device(), t.shape(), 1, t.dtype());
    }

    public static Tensor fullLike(Tensor t, double value) {
        return Creation.full(t.device(), t.shape(), value, t.dtype());
    }

    public static Tensor randLike(Tensor t) {
        return Creation.rand(t.device(), t.shape(), t.dtype().toFloating(), Generator.defaultGenerator());
    }

    public static Tensor randnLike(Tensor t) {
        return Creation.randn(t.device(), t.shape(), t.dtype().toFloating(), Generator.defaultGenerator());
    }

    public static Tensor emptyLike(Tensor t) {
        return Tensor.empty(t.device(), t.dtype(), t.shape());
    }

    /**
     * Wraps the data buffer of an Arrow fixed-width vector as a 1-d tensor without copying. The tensor keeps the
     * buffer alive (Arrow reference counting) even after the vector is closed. Nulls are not representable:
     * vectors with nulls are rejected.
     */
    public static Tensor fromArrow(FieldVector vector) {
        return Creation.fromArrow(vector);
    }

    /** Wraps {@code numel(shape)} elements of {@code buffer} starting at {@code byteOffset}, without copying. */
    public static Tensor fromArrow(ArrowBuf buffer, long byteOffset, DType dtype, long... shape) {
        return Creation.fromArrow(buffer, byteOffset, dtype, shape);
    }
}
