package dev.kiln.checkpoint;

import dev.kiln.tensor.DType;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import dev.kiln.memory.HalfFloats;

/**
 * A safetensors element type and the Kiln dtype it loads as: F16 and BF16 load as float16 and bfloat16 (as
 * PyTorch's safetensors does), or widened to float32 on request; float32/float64 tensors can also be written narrow
 * on request ({@link Safetensors.Precision}).
 */
enum StoredType {
    F32(DType.FLOAT32, 4), F64(DType.FLOAT64, 8), I64(DType.INT64, 8), I32(DType.INT32, 4), U8(DType.UINT8, 1),
    BOOL(DType.BOOL, 1), F16(DType.FLOAT16, 2), BF16(DType.BFLOAT16, 2);

    final DType loadsAs;
    final int byteSize;

    StoredType(DType loadsAs, int byteSize) {
        this.loadsAs = loadsAs;
        this.byteSize = byteSize;
    }

    /** The type that stores {@code dtype} exactly. */
    static StoredType of(DType dtype) {
        return switch (dtype) {
            case FLOAT32 -> F32;
            case FLOAT64 -> F64;
            case INT64 -> I64;
            case INT32 -> I32;
            case UINT8 -> U8;
            case BOOL -> BOOL;
            case FLOAT16 -> F16;
            case BFLOAT16 -> BF16;
        };
    }

    /** The header name, or null when unknown. */
    static StoredType parse(String name) {
        for (StoredType t : values()) {
            if (t.name().equals(name)) {
                return t;
            }
        }
        return null;
    }

    boolean isHalf() {
        return this == F16 || this == BF16;
    }

    /**
     * Narrows {@code n} floats ({@code from} holds {@code wide} values: float32, float64 or the other 16-bit type)
     * into this type's 16-bit patterns, via float32 as ATen's casts do.
     */
    void narrow(ByteBuffer from, DType wide, ByteBuffer to, int n) {
        ByteBuffer src = from.order(ByteOrder.LITTLE_ENDIAN);
        ByteBuffer dst = to.order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < n; i++) {
            float f = switch (wide) {
                case FLOAT64 -> (float) src.getDouble();
                case FLOAT16 -> HalfFloats.halfToFloat(src.getShort());
                case BFLOAT16 -> HalfFloats.bfloat16ToFloat(src.getShort());
                default -> src.getFloat();
            };
            dst.putShort(this == F16 ? HalfFloats.floatToHalf(f) : HalfFloats.floatToBfloat16(f));
        }
    }

    /** Widens {@code n} 16-bit patterns from {@code from} into float32 values in {@code to}. */
    void widen(ByteBuffer from, ByteBuffer to, int n) {
        ByteBuffer src = from.order(ByteOrder.LITTLE_ENDIAN);
        ByteBuffer dst = to.order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < n; i++) {
            short h = src.getShort();
            dst.putFloat(this == F16 ? HalfFloats.halfToFloat(h) : HalfFloats.bfloat16ToFloat(h));
        }
    }
}
