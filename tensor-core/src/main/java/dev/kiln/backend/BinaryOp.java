package dev.kiln.backend;

/**
 * Elementwise two-input primitives; comparisons write BOOL outputs. {@code THRESHOLD_BACKWARD(g, y)} is
 * {@code y > 0 ? g : 0}, ReLU's gradient (PyTorch's {@code threshold_backward}).
 */
public enum BinaryOp {
    ADD, SUB, MUL, DIV, POW, MAXIMUM, MINIMUM, THRESHOLD_BACKWARD, EQ, NE, LT, LE, GT, GE;

    public boolean isComparison() {
        return ordinal() >= EQ.ordinal();
    }
}
