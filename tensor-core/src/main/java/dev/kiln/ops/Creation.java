package dev.kiln.ops;

import dev.kiln.memory.Storage;
import dev.kiln.tensor.DType;
import dev.kiln.tensor.Device;
import dev.kiln.tensor.Generator;
import dev.kiln.tensor.Shapes;
import dev.kiln.tensor.Tensor;
import dev.kiln.tensor.TensorScope;
import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.BitVector;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.Float4Vector;
import org.apache.arrow.vector.Float8Vector;
import org.apache.arrow.vector.IntVector;
import org.apache.arrow.vector.UInt1Vector;
import org.apache.arrow.vector.TinyIntVector;
import org.apache.arrow.vector.ipc.message.ArrowFieldNode;

/**
 * Factories (from Java arrays, constants, ranges, random draws, Arrow vectors) and exports back to Java/Arrow.
 *
 * <p>Java arrays go in and out through the backend's {@code MemoryKernels} (no host address is read here); Arrow
 * vectors share host memory with tensors both ways.
 */
public final class Creation {
    private Creation() {
    }

    // -------------------------------------------------------------- from Java values

    public static Tensor of(float... values) {
        return fromArray(values, DType.FLOAT32, values.length);
    }

    public static Tensor of(double... values) {
        return fromArray(values, DType.FLOAT64, values.length);
    }

    public static Tensor of(long... values) {
        return fromArray(values, DType.INT64, values.length);
    }

    public static Tensor of(int... values) {
        return fromArray(values, DType.INT32, values.length);
    }

    public static Tensor of(boolean... values) {
        byte[] bytes = new byte[values.length];
        for (int i = 0; i < values.length; i++) {
            bytes[i] = (byte) (values[i] ? 1 : 0);
        }
        return fromArray(bytes, DType.BOOL, values.length);
    }

    public static Tensor of(float[][] rows) {
        int cols = checkRows(rows.length, r -> rows[r].length);
        float[] flat = new float[Math.multiplyExact(rows.length, cols)];
        for (int r = 0; r < rows.length; r++) {
            System.arraycopy(rows[r], 0, flat, r * cols, cols);
        }
        return fromArray(flat, DType.FLOAT32, rows.length, cols);
    }

    public static Tensor of(double[][] rows) {
        int cols = checkRows(rows.length, r -> rows[r].length);
        double[] flat = new double[Math.multiplyExact(rows.length, cols)];
        for (int r = 0; r < rows.length; r++) {
            System.arraycopy(rows[r], 0, flat, r * cols, cols);
        }
        return fromArray(flat, DType.FLOAT64, rows.length, cols);
    }

    /** The common row length of a 2-d Java array, or PyTorch's error for a ragged one. */
    private static int checkRows(int count, java.util.function.IntUnaryOperator length) {
        int cols = count == 0 ? 0 : length.applyAsInt(0);
        for (int r = 0; r < count; r++) {
            if (length.applyAsInt(r) != cols) {
                throw new IllegalArgumentException("expected sequence of length " + cols + " at dim 1 (got "
                        + length.applyAsInt(r) + ") in row " + r);
            }
        }
        return cols;
    }

    /** A new host tensor holding a Java array's values ({@code double[]} converts to {@code dtype}). */
    private static Tensor fromArray(Object values, DType dtype, long... shape) {
        Tensor t = Tensor.empty(dtype, shape);
        Dispatch.on(t).memory().write(values, t.arg());
        return t;
    }

    public static Tensor scalar(double value, DType dtype) {
        return full(new long[0], value, dtype);
    }

    // -------------------------------------------------------------- constants and ranges

    public static Tensor full(long[] shape, double value, DType dtype) {
        return full(Device.CPU, shape, value, dtype);
    }

    /** A tensor of {@code value} on {@code device} ({@code torch.full(..., device=)}). */
    public static Tensor full(Device device, long[] shape, double value, DType dtype) {
        if (value == 0) {
            return Tensor.allocate(device, TensorScope.currentAllocator(), dtype, shape, true);
        }
        Tensor t = Tensor.empty(device, dtype, shape);
        Dispatch.on(t).pointwise().fill(t.arg(), value);
        return t;
    }

    public static Tensor eye(long n, long m, DType dtype) {
        Tensor t = full(new long[] {n, m}, 0, dtype);
        long[] diagonal = {Math.min(n, m)};
        Dispatch.on(t).pointwise().fill(t.arg().view(diagonal, new long[] {m + 1}, 0), 1);
        return t;
    }

    public static Tensor arange(double start, double end, double step, DType dtype) {
        if (step == 0) {
            throw new IllegalArgumentException("arange: step must be nonzero");
        }
        if ((end - start) / step < 0) {
            throw new IllegalArgumentException("arange: upper bound and larger bound inconsistent with step sign "
                    + "(start=" + start + ", end=" + end + ", step=" + step + ")");
        }
        int n = Math.toIntExact((long) Math.ceil((end - start) / step));
        double[] values = new double[n];
        for (int i = 0; i < n; i++) {
            values[i] = start + i * step;
        }
        return fromArray(values, dtype, n);
    }

    public static Tensor linspace(double start, double end, long steps, DType dtype) {
        if (steps < 0) {
            throw new IllegalArgumentException("linspace: number of steps must be non-negative, got " + steps);
        }
        double[] values = new double[Math.toIntExact(steps)];
        double step = steps > 1 ? (end - start) / (steps - 1) : 0;
        long half = steps / 2;
        for (int i = 0; i < steps; i++) {
            // Same symmetric formula as PyTorch: count from the nearer end, so both endpoints are exact.
            values[i] = i < half ? start + step * i : end - step * (steps - 1 - i);
        }
        return fromArray(values, dtype, steps);
    }

    // -------------------------------------------------------------- random

    public static Tensor rand(long[] shape, DType dtype, Generator gen) {
        return rand(Device.CPU, shape, dtype, gen);
    }

    public static Tensor rand(Device device, long[] shape, DType dtype, Generator gen) {
        requireFloating(dtype, "rand");
        Tensor t = Tensor.empty(device, dtype, shape);
        Dispatch.on(t).random().uniform(t.arg(), gen);
        return t;
    }

    public static Tensor randn(long[] shape, DType dtype, Generator gen) {
        return randn(Device.CPU, shape, dtype, gen);
    }

    public static Tensor randn(Device device, long[] shape, DType dtype, Generator gen) {
        requireFloating(dtype, "randn");
        Tensor t = Tensor.empty(device, dtype, shape);
        Dispatch.on(t).random().normal(t.arg(), gen);
        return t;
    }

    public static Tensor randint(long low, long high, long[] shape, Generator gen) {
        if (high <= low) {
            throw new IllegalArgumentException("random_ expects 'from' to be less than 'to', but got from=" + low
                    + " >= to=" + high);
        }
        Tensor t = Tensor.empty(DType.INT64, shape);
        Dispatch.on(t).random().randint(t.arg(), low, high, gen);
        return t;
    }

    private static void requireFloating(DType dtype, String op) {
        if (!dtype.isFloatingPoint()) {
            throw new IllegalArgumentException(op + " expects a floating point dtype, got " + dtype.torchName());
        }
    }

    // -------------------------------------------------------------- Java arrays out

    public static float[] toFloatArray(Tensor t) {
        float[] out = new float[Math.toIntExact(t.numel())];
        readAs(t, DType.FLOAT32, out);
        return out;
    }

    public static double[] toDoubleArray(Tensor t) {
        double[] out = new double[Math.toIntExact(t.numel())];
        readAs(t, DType.FLOAT64, out);
        return out;
    }

    public static long[] toLongArray(Tensor t) {
        long[] out = new long[Math.toIntExact(t.numel())];
        readAs(t, DType.INT64, out); // floating values truncate toward zero, as a C cast
        return out;
    }

    public static boolean[] toBooleanArray(Tensor t) {
        byte[] bytes = new byte[Math.toIntExact(t.numel())];
        readAs(t, DType.BOOL, bytes);
        boolean[] out = new boolean[bytes.length];
        for (int i = 0; i < bytes.length; i++) {
            out[i] = bytes[i] != 0;
        }
        return out;
    }

    /** Copies {@code t}'s elements, row-major, converted to {@code dtype}, into a Java array (host or device). */
    private static void readAs(Tensor t, DType dtype, Object array) {
        try (var g = dev.kiln.autograd.Autograd.noGrad(); TensorScope temps = TensorScope.openTemporaries()) {
            Tensor c = t.dtype() == dtype && t.isContiguous() ? t : Views.contiguous(Kernels.cast(t, dtype));
            Dispatch.on(c).memory().read(c.arg(), array);
        }
    }

    // -------------------------------------------------------------- Arrow interop (zero copy)

    /** {@code t} if contiguous, else a contiguous copy (cut from the graph) that the caller closes. */
    private static Tensor contiguousCopy(Tensor t) {
        if (t.isContiguous()) {
            return t;
        }
        try (Tensor detached = t.detach()) {
            return Views.contiguous(detached);
        }
    }

    public static Tensor fromArrow(FieldVector vector) {
        DType dtype = dtypeOf(vector);
        if (vector.getNullCount() > 0) {
            throw new IllegalArgumentException("Arrow vector '" + vector.getName() + "' has " + vector.getNullCount()
                    + " null values; tensors cannot represent nulls (drop or fill them first)");
        }
        return fromArrow(vector.getDataBuffer(), 0, dtype, vector.getValueCount());
    }

    public static Tensor fromArrow(ArrowBuf buffer, long byteOffset, DType dtype, long... shape) {
        long bytes = Shapes.numel(shape) * dtype.byteSize();
        if (byteOffset < 0 || byteOffset + bytes > buffer.capacity()) {
            throw new IllegalArgumentException("Arrow buffer of " + buffer.capacity() + " bytes cannot hold a "
                    + dtype.torchName() + " tensor of shape " + Shapes.str(shape) + " at byte offset " + byteOffset);
        }
        if (byteOffset % dtype.byteSize() != 0) {
            throw new IllegalArgumentException("byte offset " + byteOffset + " is not a multiple of the "
                    + dtype.torchName() + " element size " + dtype.byteSize());
        }
        Storage storage = Storage.wrap(buffer, buffer.capacity());
        try {
            return Tensor.ofStorage(storage, dtype, shape, Shapes.contiguousStrides(shape), byteOffset / dtype.byteSize());
        } finally {
            storage.release(); // the tensor retained its own reference
        }
    }

    private static DType dtypeOf(FieldVector v) {
        if (v instanceof Float4Vector) {
            return DType.FLOAT32;
        } else if (v instanceof Float8Vector) {
            return DType.FLOAT64;
        } else if (v instanceof BigIntVector) {
            return DType.INT64;
        } else if (v instanceof IntVector) {
            return DType.INT32;
        } else if (v instanceof UInt1Vector) {
            return DType.UINT8;
        } else if (v instanceof TinyIntVector) {
            // NOTE: reading signed int8 as uint8 would silently turn -1 into 255.
            throw new IllegalArgumentException("Arrow vector '" + v.getName() + "' is int8 (TinyIntVector), which has "
                    + "no tensor dtype; cast it to int32 first, or use an unsigned UInt1Vector");
        }
        throw new IllegalArgumentException("Arrow vector '" + v.getName() + "' of type " + v.getField().getType()
                + " cannot be viewed as a tensor; expected a fixed-width float32, float64, int64, int32 or uint8 vector"
                + (v instanceof BitVector ? " (bit-packed booleans need a conversion)" : ""));
    }

    /**
     * Exports a tensor as a 1-d Arrow vector of its elements (row-major). Contiguous tensors share their buffer
     * with the vector (zero copy); others are copied first.
     */
    public static FieldVector toArrow(Tensor t, String name) {
        if (t.device().isCuda()) {
            throw new IllegalArgumentException("can't convert " + t.device() + " tensor to an Arrow vector: Arrow "
                    + "memory lives on the host; use tensor.cpu() first");
        }
        Tensor c = contiguousCopy(t);
        int n = Math.toIntExact(c.numel());
        FieldVector v = switch (c.dtype()) {
            case FLOAT32 -> new Float4Vector(name, c.storage().allocator());
            case FLOAT64 -> new Float8Vector(name, c.storage().allocator());
            case INT64 -> new BigIntVector(name, c.storage().allocator());
            case INT32 -> new IntVector(name, c.storage().allocator());
            case UINT8, BOOL -> new UInt1Vector(name, c.storage().allocator());
            case FLOAT16, BFLOAT16 -> throw new IllegalArgumentException("can't export " + c.dtype().torchName()
                    + " tensor '" + name + "' as an Arrow vector: no Arrow vector type holds it here; convert with "
                    + ".float() (to(DType.FLOAT32)) first");
        };
        ArrowBuf data = c.storage().arrowBuf().slice(c.storageOffset() * c.dtype().byteSize(),
                (long) n * c.dtype().byteSize());
        ArrowBuf validity = c.storage().allocator().buffer((n + 7) / 8);
        validity.setOne(0, (n + 7) / 8);
        try {
            v.loadFieldBuffers(new ArrowFieldNode(n, 0), java.util.List.of(validity, data));
        } finally {
            validity.close(); // the vector retained what it needs
            if (c != t) {
                c.close();
            }
        }
        return v;
    }
}
