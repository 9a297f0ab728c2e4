package dev.kiln.memory;

import java.lang.reflect.Field;

/**
 * Raw loads and stores at native addresses, for kernels that run over Arrow buffers. Bounds are the caller's
 * job: every kernel receives addresses computed from a tensor's shape/strides, which were checked when the
 * tensor was made.
 */
public final class Unsafe {
    private static final sun.misc.Unsafe U;

    static {
        try {
            Field f = sun.misc.Unsafe.class.getDeclaredField("theUnsafe");
            f.setAccessible(true);
            U = (sun.misc.Unsafe) f.get(null);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private Unsafe() {
    }

    public static float getFloat(long address) {
        return U.getFloat(address);
    }

    public static void putFloat(long address, float v) {
        U.putFloat(address, v);
    }

    public static double getDouble(long address) {
        return U.getDouble(address);
    }

    public static void putDouble(long address, double v) {
        U.putDouble(address, v);
    }

    public static long getLong(long address) {
        return U.getLong(address);
    }

    public static void putLong(long address, long v) {
        U.putLong(address, v);
    }

    public static int getInt(long address) {
        return U.getInt(address);
    }

    public static void putInt(long address, int v) {
        U.putInt(address, v);
    }

    public static short getShort(long address) {
        return U.getShort(address);
    }

    public static void putShort(long address, short v) {
        U.putShort(address, v);
    }

    public static byte getByte(long address) {
        return U.getByte(address);
    }

    public static void putByte(long address, byte v) {
        U.putByte(address, v);
    }

    /** {@code malloc}: 16-byte aligned native memory, not zeroed. */
    public static long allocateMemory(long bytes) {
        return U.allocateMemory(Math.max(bytes, 1));
    }

    public static void freeMemory(long address) {
        U.freeMemory(address);
    }

    public static void copyMemory(long src, long dst, long bytes) {
        U.copyMemory(src, dst, bytes);
    }

    public static void setMemory(long address, long bytes, byte value) {
        U.setMemory(address, bytes, value);
    }

    /** Copies {@code count} floats from native memory into a Java array. */
    public static void copyToArray(long src, float[] dst, int dstIndex, int count) {
        U.copyMemory(null, src, dst, sun.misc.Unsafe.ARRAY_FLOAT_BASE_OFFSET + 4L * dstIndex, 4L * count);
    }

    /** Copies {@code count} floats from a Java array into native memory. */
    public static void copyFromArray(float[] src, int srcIndex, long dst, int count) {
        U.copyMemory(src, sun.misc.Unsafe.ARRAY_FLOAT_BASE_OFFSET + 4L * srcIndex, null, dst, 4L * count);
    }

    /** Copies {@code count} 4-byte elements (e.g. float32 bits) from native memory into an int array. */
    public static void copyToArray(long src, int[] dst, int dstIndex, int count) {
        U.copyMemory(null, src, dst, sun.misc.Unsafe.ARRAY_INT_BASE_OFFSET + 4L * dstIndex, 4L * count);
    }

    /** Copies {@code count} ints from a Java array into native memory (4 bytes each). */
    public static void copyFromArray(int[] src, int srcIndex, long dst, int count) {
        U.copyMemory(src, sun.misc.Unsafe.ARRAY_INT_BASE_OFFSET + 4L * srcIndex, null, dst, 4L * count);
    }

    /**
     * Copies {@code bytes} bytes between a primitive Java array (at its first element) and native memory;
     * {@code toArray} picks the direction. The array's element type is the caller's business (raw bytes).
     */
    public static void copyArray(Object array, long address, long bytes, boolean toArray) {
        long base = U.arrayBaseOffset(array.getClass());
        if (toArray) {
            U.copyMemory(null, address, array, base, bytes);
        } else {
            U.copyMemory(array, base, null, address, bytes);
        }
    }
}
