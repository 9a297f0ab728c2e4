package dev.kiln.backend.cpu;

import dev.kiln.backend.BinaryOp;
import dev.kiln.memory.Unsafe;

/**
 * float32 loops for the masks training makes every step: comparisons writing BOOL (dropout's {@code rand < p}),
 * ReLU's gradient ({@code out > 0 ? g : 0}) and BOOL-to-float32 casts. Plain strided loops: they avoid the
 * per-element dtype dispatch of the generic path, which made these ops 10x slower than the math they guard.
 */
final class F32MaskLoops {
    private F32MaskLoops() {
    }

    static boolean supports(BinaryOp op) {
        return op.isComparison() || op == BinaryOp.THRESHOLD_BACKWARD;
    }

    /** {@code out = op(a, b)} on float32 operands; BOOL output for comparisons, float32 for THRESHOLD_BACKWARD. */
    static void binary(BinaryOp op, long n, long pa, long sa, long pb, long sb, long po, long so) {
        switch (op) {
            case THRESHOLD_BACKWARD -> {
                for (long i = 0; i < n; i++, pa += sa, pb += sb, po += so) {
                    Unsafe.putFloat(po, Unsafe.getFloat(pb) > 0 ? Unsafe.getFloat(pa) : 0f);
                }
            }
            case LT -> {
                for (long i = 0; i < n; i++, pa += sa, pb += sb, po += so) {
                    Unsafe.putByte(po, (byte) (Unsafe.getFloat(pa) < Unsafe.getFloat(pb) ? 1 : 0));
                }
            }
            case GT -> {
                for (long i = 0; i < n; i++, pa += sa, pb += sb, po += so) {
                    Unsafe.putByte(po, (byte) (Unsafe.getFloat(pa) > Unsafe.getFloat(pb) ? 1 : 0));
                }
            }
            default -> {
                for (long i = 0; i < n; i++, pa += sa, pb += sb, po += so) {
                    double r = CpuPointwise.applyBinary(op, Unsafe.getFloat(pa), Unsafe.getFloat(pb));
                    Unsafe.putByte(po, (byte) (r != 0 ? 1 : 0));
                }
            }
        }
    }

    /** BOOL (or UINT8 0/1) to float32. */
    static void boolToFloat(long n, long pa, long sa, long po, long so) {
        for (long i = 0; i < n; i++, pa += sa, po += so) {
            Unsafe.putFloat(po, Unsafe.getByte(pa) != 0 ? 1f : 0f);
        }
    }
}
