package dev.kiln.ops;

import dev.kiln.memory.Storage;
import dev.kiln.memory.Unsafe;
import dev.kiln.tensor.DType;
import dev.kiln.tensor.Generator;
import dev.kiln.tensor.Shapes;
import dev.kiln.tensor.Tensor;
import dev.kiln.tensor.TensorScope;
import java.lang.ref.Reference;
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
 * <p>NOTE (memory safety): code here writes through raw addresses. Writers keep their tensor reachable by returning
 * it after the last write; readers that drop their tensor fence it ({@code Reference.reachabilityFence}), so a GC
 * cannot free the memory mid-copy (see {@code backend.cpu.Fenced}).
 */
public final class Creation {
    private Creation() {
    }

    // -------------------------------------------------------------- from Java values

    public static Tensor of(float... values) {
        Tensor t = Tensor.empty(DType.FLOAT32, values.length);
        Unsafe.copyFromArray(values, 0, t.dataAddress(), values.length);
        return t;
    }

    public static Tensor of(double... values) {
        Tensor t = Tensor.empty(DType.FLOAT64, values.length);
        for (int i = 0; i < values.length; i++) {
            Unsafe.putDouble(t.dataAddress() + 8L * i, values[i]);
        }
        return t;
    }

    public static Tensor of(long... values) {
        Tensor t = Tensor.empty(DType.INT64, values.length);
        for (int i = 0; i < values.length; i++) {
            Unsafe.putLong(t.dataAddress() + 8L * i, values[i]);
        }
        return t;
    }

    public static Tensor of(int... values) {
        Tensor t = Tensor.empty(DType.INT32, values.length);
        for (int i = 0; i < values.length; i++) {
            Unsafe.putInt(t.dataAddress() + 4L * i, values[i]);
        }
        return t;
    }

    public static Tensor of(boolean... values) {
        Tensor t = Tensor.empty(DType.BOOL, values.length);
        for (int i = 0; i < values.length; i++) {
            Unsafe.putByte(t.dataAddress() + i, (byte) (values[i] ? 1 : 0));
        }
        return t;
    }

    public static Tensor of(float[][] rows) {
        int cols = rows.length == 0 ? 0 : rows[0].length;
        Tensor t = Tensor.empty(DType.FLOAT32, rows.length, cols);
        for (int r = 0; r < rows.length; r++) {
            if (rows[r].length != cols) {
                t.close();
                throw new IllegalArgumentException("expected sequence of length " + cols + " at dim 1 (got "
                        + rows[r].length + ") in row " + r);
            }
            Unsafe.copyFromArray(rows[r], 0, t.dataAddress() + 4L * r * cols, cols);
        }
        return t;
    }

    public static Tensor of(double[][] rows) {
        int cols = rows.length == 0 ? 0 : rows[0].length;
        Tensor t = Tensor.empty(DType.FLOAT64, rows.length, cols);
        for (int r = 0; r < rows.length; r++) {
            if (rows[r].length != cols) {
                t.close();
                throw new IllegalArgumentException("expected sequence of length " + cols + " at dim 1 (got "
                        + rows[r].length + ") in row " + r);
            }
            for (int c = 0; c < cols; c++) {
                Unsafe.putDouble(t.dataAddress() + 8L * ((long) r * cols + c), rows[r][c]);
            }
        }
        return t;
    }

    public static Tensor scalar(double value, DType dtype) {
        return full(new long[0], value, dtype);
    }

    // -------------------------------------------------------------- constants and ranges

    public static Tensor full(long[] shape, double value, DType dtype) {
        if (value == 0) {
            return Tensor.allocate(TensorScope.currentAllocator(), dtype, shape, true);
        }
        Tensor t = Tensor.empty(dtype, shape);
        Kernels.backend(t).pointwise().fill(t, value);
        return t;
    }

    public static Tensor eye(long n, long m, DType dtype) {
        Tensor t = full(new long[] {n, m}, 0, dtype);
        for (long i = 0; i < Math.min(n, m); i++) {
            putDouble(t, i * m + i, 1);
        }
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
        long n = (long) Math.ceil((end - start) / step);
        Tensor t = Tensor.empty(dtype, n);
        for (long i = 0; i < n; i++) {
            putDouble(t, i, start + i * step);
        }
        return t;
    }

    public static Tensor linspace(double start, double end, long steps, DType dtype) {
        if (steps < 0) {
            throw new IllegalArgumentException("linspace: number of steps must be non-negative, got " + steps);
        }
        Tensor t = Tensor.empty(dtype, steps);
        double step = steps > 1 ? (end - start) / (steps - 1) : 0;
        long half = steps / 2;
        for (long i = 0; i < steps; i++) {
            // Same symmetric formula as PyTorch: count from the nearer end, so both endpoints are exact.
            putDouble(t, i, i < half ? start + step * i : end - step * (steps - 1 - i));
        }
        return t;
    }

    // -------------------------------------------------------------- random

    public static Tensor rand(long[] shape, DType dtype, Generator gen) {
        requireFloating(dtype, "rand");
        Tensor t = Tensor.empty(dtype, shape);
        long n = t.numel();
        if (dtype == DType.FLOAT32) { // bulk: one generator lock and one memory copy per chunk
            float[] chunk = new float[(int) Math.min(n, 1 << 16)];
            for (long done = 0; done < n; done += chunk.length) {
                int len = (int) Math.min(chunk.length, n - done);
                gen.fillFloats(chunk, 0, len);
                Unsafe.copyFromArray(chunk, 0, t.dataAddress() + 4 * done, len);
            }
            return t;
        }
        for (long i = 0; i < n; i++) {
            putDouble(t, i, gen.nextDouble());
        }
        return t;
    }

    public static Tensor randn(long[] shape, DType dtype, Generator gen) {
        requireFloating(dtype, "randn");
        Tensor t = Tensor.empty(dtype, shape);
        long n = t.numel();
        for (long i = 0; i < n; i++) {
            putDouble(t, i, gen.nextGaussian());
        }
        return t;
    }

    public static Tensor randint(long low, long high, long[] shape, Generator gen) {
        if (high <= low) {
            throw new IllegalArgumentException("random_ expects 'from' to be less than 'to', but got from=" + low
                    + " >= to=" + high);
        }
        Tensor t = Tensor.empty(DType.INT64, shape);
        long n = t.numel();
        for (long i = 0; i < n; i++) {
            Unsafe.putLong(t.dataAddress() + 8 * i, gen.nextLong(low, high));
        }
        return t;
    }

    private static void requireFloating(DType dtype, String op) {
        if (!dtype.isFloatingPoint()) {
            throw new IllegalArgumentException(op + " expects a floating point dtype, got " + dtype.torchName());
        }
    }

    private static void putDouble(Tensor contiguous, long i, double v) {
        long addr = contiguous.dataAddress() + i * contiguous.dtype().byteSize();
        switch (contiguous.dtype()) {
            case FLOAT32 -> Unsafe.putFloat(addr, (float) v);
            case FLOAT64 -> Unsafe.putDouble(addr, v);
            case INT64 -> Unsafe.putLong(addr, (long) v);
            case INT32 -> Unsafe.putInt(addr, (int) v);
            case UINT8, BOOL -> Unsafe.putByte(addr, (byte) v);
        }
    }

    // -------------------------------------------------------------- Java arrays out

    /** {@code t} if contiguous, else a contiguous copy (cut from the graph) that the caller closes. */
    private static Tensor contiguousCopy(Tensor t) {
        if (t.isContiguous()) {
            return t;
        }
        try (Tensor detached = t.detach()) {
            return Views.contiguous(detached);
        }
    }

    public static float[] toFloatArray(Tensor t) {
        Tensor cc = contiguousCopy(t);
        Tensor c = Kernels.cast(cc, DType.FLOAT32);
        float[] out = new float[Math.toIntExact(c.numel())];
        try {
            Unsafe.copyToArray(c.dataAddress(), out, 0, out.length);
        } finally {
            Reference.reachabilityFence(c); // c may be t itself, whose last use is the address above
            Kernels.release(c, t);
            if (cc != c) {
                Kernels.release(cc, t);
            }
        }
        return out;
    }

    public static double[] toDoubleArray(Tensor t) {
        double[] out = new double[Math.toIntExact(t.numel())];
        forEachIndex(t, (i, storageIndex) -> out[i] = t.getDouble(storageIndex));
        return out;
    }

    public static long[] toLongArray(Tensor t) {
        long[] out = new long[Math.toIntExact(t.numel())];
        forEachIndex(t, (i, storageIndex) -> out[i] = t.getLong(storageIndex));
        return out;
    }

    public static boolean[] toBooleanArray(Tensor t) {
        boolean[] out = new boolean[Math.toIntExact(t.numel())];
        forEachIndex(t, (i, storageIndex) -> out[i] = t.getDouble(storageIndex) != 0);
        return out;
    }

    interface IndexVisitor {
        void visit(int flatIndex, long storageIndex);
    }

    /** Visits elements in row-major order with their storage index (any strides). */
    static void forEachIndex(Tensor t, IndexVisitor v) {
        long[] shape = t.shape();
        long[] strides = t.strides();
        int n = Math.toIntExact(t.numel());
        long[] idx = new long[shape.length];
        long pos = t.storageOffset();
        for (int i = 0; i < n; i++) {
            v.visit(i, pos);
            for (int d = shape.length - 1; d >= 0; d--) {
                idx[d]++;
                pos += strides[d];
                if (idx[d] < shape[d]) {
                    break;
                }
                pos -= strides[d] * shape[d];
                idx[d] = 0;
            }
        }
    }

    // -------------------------------------------------------------- Arrow interop (zero copy)

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
        Tensor c = contiguousCopy(t);
        int n = Math.toIntExact(c.numel());
        FieldVector v = switch (c.dtype()) {
            case FLOAT32 -> new Float4Vector(name, c.storage().allocator());
            case FLOAT64 -> new Float8Vector(name, c.storage().allocator());
            case INT64 -> new BigIntVector(name, c.storage().allocator());
            case INT32 -> new IntVector(name, c.storage().allocator());
            case UINT8, BOOL -> new UInt1Vector(name, c.storage().allocator());
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
