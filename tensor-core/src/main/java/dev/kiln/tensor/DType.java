package dev.kiln.tensor;

/**
 * Element types. Promotion follows PyTorch's category rule: bool < integers < floating point, and within a
 * category the wider type wins ({@code int32 + int64 -> int64}, {@code float32 + float64 -> float64},
 * {@code int64 + float32 -> float32}, {@code int64 + float16 -> float16}); float16 and bfloat16 have the same width
 * but neither holds the other, so together they promote to float32 (as {@code torch.promote_types}).
 *
 * <p>float16 (IEEE binary16) and bfloat16 are storage types: two bytes per element, converted with round to nearest
 * even exactly as PyTorch does, and computed in float32 (each op rounds once, on store), as PyTorch's CPU kernels do.
 */
public enum DType {
    BOOL(1, "torch.bool", 0),
    UINT8(1, "torch.uint8", 1),
    INT32(4, "torch.int32", 2),
    INT64(8, "torch.int64", 3),
    FLOAT32(4, "torch.float32", 5),
    FLOAT64(8, "torch.float64", 6),
    // appended, so the older constants keep their ordinals (the distributed frames carry them)
    FLOAT16(2, "torch.float16", 4),
    BFLOAT16(2, "torch.bfloat16", 4);

    private final int byteSize;
    private final String torchName;
    private final int rank;

    DType(int byteSize, String torchName, int rank) {
        this.byteSize = byteSize;
        this.torchName = torchName;
        this.rank = rank;
    }

    /** Bytes per element. */
    public int byteSize() {
        return byteSize;
    }

    /** The name PyTorch prints, e.g. {@code torch.float32}. */
    public String torchName() {
        return torchName;
    }

    /** ATen's ScalarType name ({@code Long}, {@code Float}, ...), which PyTorch's dtype errors print. */
    public String scalarTypeName() {
        return switch (this) {
            case BOOL -> "Bool";
            case UINT8 -> "Byte";
            case INT32 -> "Int";
            case INT64 -> "Long";
            case FLOAT16 -> "Half";
            case BFLOAT16 -> "BFloat16";
            case FLOAT32 -> "Float";
            case FLOAT64 -> "Double";
        };
    }

    public boolean isFloatingPoint() {
        return this == FLOAT32 || this == FLOAT64 || this == FLOAT16 || this == BFLOAT16;
    }

    /** float16 or bfloat16: a two-byte floating type that is stored narrow and computed in float32. */
    public boolean isHalf() {
        return this == FLOAT16 || this == BFLOAT16;
    }

    public boolean isIntegral() {
        return this == UINT8 || this == INT32 || this == INT64;
    }

    /** The type both operands are converted to before a binary op, as torch.promote_types does. */
    public static DType promote(DType a, DType b) {
        if (a.rank == b.rank && a != b) {
            return FLOAT32; // float16 with bfloat16: neither represents the other
        }
        return a.rank >= b.rank ? a : b;
    }

    /** The result type of a floating-point op (exp, mean, ...) on this type: integers become float32. */
    public DType toFloating() {
        return isFloatingPoint() ? this : FLOAT32;
    }
}
