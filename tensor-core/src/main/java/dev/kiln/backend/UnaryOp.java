package dev.kiln.backend;

/** Elementwise one-input primitives (the output has the input's shape; dtype rules live in the op layer). */
public enum UnaryOp {
    NEG, ABS, EXP, LOG, SQRT, RSQRT, SIN, COS, TANH, SIGMOID, RELU, ERF, SIGN, RECIPROCAL, LOGICAL_NOT
}
