#!/usr/bin/env python3
"""Derives the polynomial coefficients of MathFunctions.erf (tensor-core, dev.kiln.backend.cpu) with mpmath and prints
them as Java array initializers. Not a golden-file generator: its output is pasted into MathFunctions.java, and
MathFunctionsErfTest checks the result against gen_erf_mpmath.py's references.

Method (the classic split of fdlibm's s_erf.c and W. J. Cody's CALERF, with our own polynomials instead of their
rational functions): Chebyshev interpolation at 40 digits (mpmath.chebyfit, near-minimax), each interval in a
local variable so the monomial coefficients stay well conditioned, coefficients rounded to double.

    |x| < 0.75:            erf(x) = x + x * P(x^2),               P(t) = erf(sqrt t) / sqrt t - 1
    0.75 <= |x| < 1.25:    erf(x) = C + Q(|x| - 1),               C = erf(1) rounded to double
    1.25 <= |x| < 6:       erf(x) = 1 - exp(-x^2) * F_i(|x| - m_i), F = erfc(x) exp(x^2), m_i the interval's middle

Tolerances: Q to 2^-57 absolute (an eighth of an ulp of the result or less), P to 2^-56 (its rounded constant
term alone is up to that far off; x P is at most 1/8 of x); F_i so that exp(-x^2) * error
stays below 2^-57 (erfc is tiny beyond 2, so the far intervals need far fewer digits).

Run:  /usr/bin/python3 tensor-core/src/test/python/fit_erf_coefficients.py
"""
from mpmath import chebyfit, erf, erfc, exp, mp, mpf, polyval, sqrt, pi

mp.dps = 40
TARGET = mpf(2) ** -57
SPLIT = mpf(0.75)  # where x + x P hands over to erf(1) + Q
TAIL = [(1.25, 2.0), (2.0, 3.0), (3.0, 6.0)]


def fit(f, a, b, tolerance):
    """The lowest-degree Chebyshev interpolant of f on [a, b] within tolerance, after rounding to double."""
    for n in range(2, 40):
        poly, _ = chebyfit(f, [a, b], n, error=True)
        rounded = [float(c) for c in poly]
        worst = max(abs(polyval([mpf(c) for c in rounded], s) - f(s))
                    for s in (a + (b - a) * mpf(k) / 400 for k in range(401)))
        if worst < tolerance:
            return rounded, worst
    raise ValueError("no fit on [%s, %s]" % (a, b))


def small_p(t):
    if t == 0:
        return 2 / sqrt(pi) - 1
    return erf(sqrt(t)) / sqrt(t) - 1


def java(name, coefficients, comment):
    lines, line = [], "       "
    for c in coefficients:
        item = f" {c!r},"
        if len(line) + len(item) > 116:
            lines.append(line)
            line = "       "
        line += item
    lines.append(line[:-1])
    body = "\n".join(lines)
    return f"    /** {comment} */\n    private static final double[] {name} = {{\n{body}\n    }};"


def main():
    out = []
    # P's constant term 2/sqrt(pi) - 1 is up to 2^-56 off once rounded (~1/8 ulp of x + x P): P gets 2^-56.
    p, err = fit(small_p, mpf(0), SPLIT ** 2, 2 * TARGET)
    out.append(java("SMALL", p, f"P(t), t = x^2 in [0, {float(SPLIT)}^2]: degree {len(p) - 1}, max error {float(err):.2g}"))
    c = float(erf(1))
    q, err = fit(lambda s: erf(1 + s) - mpf(c), SPLIT - 1, mpf(0.25), TARGET)
    out.append(f"    /** erf(1) rounded to double. */\n    private static final double ERF_ONE = {c!r};")
    out.append(java("NEAR_ONE", q, f"Q(s), s = |x| - 1 in [{float(SPLIT - 1)}, 0.25]: degree {len(q) - 1}, "
                    f"max error {float(err):.2g}"))
    for i, (a, b) in enumerate(TAIL):
        m = (mpf(a) + b) / 2
        scaled = lambda s, m=m: erfc(m + s) * exp((m + s) ** 2)
        f, err = fit(scaled, mpf(a) - m, mpf(b) - m, TARGET * exp(mpf(a) ** 2))
        out.append(java(f"TAIL{i}", f, f"F(m + s) for |x| in [{a}, {b}), m = {float(m)}: degree {len(f) - 1}, "
                        f"max error {float(err):.2g}"))
    print("\n".join(out))


if __name__ == "__main__":
    main()
