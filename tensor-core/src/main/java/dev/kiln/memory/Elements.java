package dev.kiln.memory;

import dev.kiln.tensor.DType;

/** Reads and writes one element of any dtype at a native address as a double or long (the generic, non-hot path). */
public final class Elements {
    private Elements() {
    }

    public static double get(DType t, long addr) {
        return switch (t) {
            case FLOAT32 -> Unsafe.getFloat(addr);
            case FLOAT64 -> Unsafe.getDouble(addr);
            case INT64 -> Unsafe.getLong(addr);
            case INT32 -> Unsafe.getInt(addr);
            case UINT8 -> Unsafe.getByte(addr) & 0xFF;
            case BOOL -> Unsafe.getByte(addr) != 0 ? 1 : 0;
            case FLOAT16 -> HalfFloats.halfToFloat(Unsafe.getShort(addr));
            case BFLOAT16 -> HalfFloats.bfloat16ToFloat(Unsafe.getShort(addr));
        };
    }

    public static void put(DType t, long addr, double v) {
        switch (t) {
            case FLOAT32 -> Unsafe.putFloat(addr, (float) v);
            case FLOAT64 -> Unsafe.putDouble(addr, v);
            case INT64 -> Unsafe.putLong(addr, (long) v);
            case INT32 -> Unsafe.putInt(addr, (int) v);
            case UINT8 -> Unsafe.putByte(addr, (byte) (long) v);
            case BOOL -> Unsafe.putByte(addr, (byte) (v != 0 ? 1 : 0));
            case FLOAT16 -> Unsafe.putShort(addr, HalfFloats.floatToHalf((float) v));
            case BFLOAT16 -> Unsafe.putShort(addr, HalfFloats.floatToBfloat16((float) v));
        }
    }

    public static long getLong(DType t, long addr) {
        return switch (t) {
            case INT64 -> Unsafe.getLong(addr);
            case INT32 -> Unsafe.getInt(addr);
            case UINT8 -> Unsafe.getByte(addr) & 0xFF;
            case BOOL -> Unsafe.getByte(addr) != 0 ? 1 : 0;
            default -> (long) get(t, addr);
        };
    }

    public static void putLong(DType t, long addr, long v) {
        switch (t) {
            case INT64 -> Unsafe.putLong(addr, v);
            case INT32 -> Unsafe.putInt(addr, (int) v);
            case UINT8 -> Unsafe.putByte(addr, (byte) v);
            case BOOL -> Unsafe.putByte(addr, (byte) (v != 0 ? 1 : 0));
            default -> put(t, addr, v);
        }
    }
}
