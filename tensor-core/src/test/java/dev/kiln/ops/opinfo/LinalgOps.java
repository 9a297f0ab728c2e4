package dev.kiln.ops.opinfo;

import static dev.kiln.ops.opinfo.Arg.custom;
import static dev.kiln.ops.opinfo.Arg.normal;
import static dev.kiln.ops.opinfo.Arg.quarters;
import static dev.kiln.ops.opinfo.OpInfo.op;
import static dev.kiln.ops.opinfo.OpInfo.s;

import dev.kiln.nn.functional.F;
import java.util.List;

/** Matrix products: matmul with every operand rank and broadcast batches, mm, bmm; the fused linear layer. */
final class LinalgOps {
    private LinalgOps() {
    }

    static List<OpInfo> all() {
        return List.of(
            op("matmul").samples(
                s("1-d @ 1-d", x -> x.get(0).matmul(x.get(1)), "x0 @ x1", normal(4), normal(4)),
                s("1-d @ 2-d", x -> x.get(0).matmul(x.get(1)), "x0 @ x1", normal(3), normal(3, 4)),
                s("2-d @ 1-d", x -> x.get(0).matmul(x.get(1)), "x0 @ x1", normal(2, 3), normal(3)),
                s("2-d @ 2-d", x -> x.get(0).matmul(x.get(1)), "x0 @ x1", normal(2, 3), normal(3, 4)),
                s("batched broadcast", x -> x.get(0).matmul(x.get(1)), "x0 @ x1", normal(2, 1, 2, 3),
                        normal(3, 3, 4)),
                s("batched @ 1-d", x -> x.get(0).matmul(x.get(1)), "x0 @ x1", normal(2, 2, 3), normal(3)),
                s("1-d @ batched", x -> x.get(0).matmul(x.get(1)), "x0 @ x1", normal(3), normal(2, 3, 2)),
                s("transposed operand", x -> x.get(0).t().matmul(x.get(1)), "x0.t() @ x1", normal(3, 2),
                        normal(3, 4)),
                s("empty inner dim", x -> x.get(0).matmul(x.get(1)), "x0 @ x1", normal(2, 0), normal(0, 3)),
                s("empty rows", x -> x.get(0).matmul(x.get(1)), "x0 @ x1", normal(0, 3), normal(3, 2)))
                .numpy("matmul", (a, x) -> x.get(0).matmul(x.get(1))),
            op("mm").samples(
                s("[2,3] @ [3,2]", x -> x.get(0).mm(x.get(1)), "x0.mm(x1)", normal(2, 3), normal(3, 2))),
            op("bmm").samples(
                s("[2,2,3] @ [2,3,2]", x -> x.get(0).bmm(x.get(1)), "x0.bmm(x1)", normal(2, 2, 3), normal(2, 3, 2))),
            linear());
    }

    /**
     * {@code F.linear}: the fused kernel's cases (2-d with and without bias, a transposed input, N-d inputs viewed as
     * 2-d, no rows, an empty inner dim) and the composed ones it hands back (1-d input, broadcast bias). Its float32
     * fast path is the epilogue's tile loop: rows wider than a tile, and NaN / inf / -0 in the bias.
     */
    private static OpInfo linear() {
        return op("linear").samples(
                s("2-d with bias", x -> F.linear(x.get(0), x.get(1), x.get(2)), "F.linear(x0, x1, x2)",
                        normal(3, 4), normal(5, 4), normal(5)),
                s("2-d without bias", x -> F.linear(x.get(0), x.get(1), null), "F.linear(x0, x1)", normal(3, 4),
                        normal(5, 4)),
                s("transposed input", x -> F.linear(x.get(0).t(), x.get(1), x.get(2)), "F.linear(x0.t(), x1, x2)",
                        normal(4, 3), normal(2, 4), normal(2)),
                s("transposed weight", x -> F.linear(x.get(0), x.get(1).t(), x.get(2)), "F.linear(x0, x1.t(), x2)",
                        normal(3, 4), normal(4, 2), normal(2)),
                s("3-d input", x -> F.linear(x.get(0), x.get(1), x.get(2)), "F.linear(x0, x1, x2)",
                        normal(2, 3, 4), normal(5, 4), normal(5)),
                s("3-d transposed input", x -> F.linear(x.get(0).transpose(0, 1), x.get(1), x.get(2)),
                        "F.linear(x0.transpose(0, 1), x1, x2)", normal(3, 2, 4), normal(5, 4), normal(5)),
                s("1-d input", x -> F.linear(x.get(0), x.get(1), x.get(2)), "F.linear(x0, x1, x2)", normal(4),
                        normal(5, 4), normal(5)),
                s("0-d bias broadcast", x -> F.linear(x.get(0), x.get(1), x.get(2)), "F.linear(x0, x1, x2)",
                        normal(3, 4), normal(5, 4), normal()),
                s("no rows", x -> F.linear(x.get(0), x.get(1), x.get(2)), "F.linear(x0, x1, x2)", normal(0, 4),
                        normal(5, 4), normal(5)),
                s("empty inner dim", x -> F.linear(x.get(0), x.get(1), x.get(2)), "F.linear(x0, x1, x2)",
                        normal(3, 0), normal(5, 0), normal(5)))
                .fastPath(0,
                        s("rows wider than a tile", x -> F.linear(x.get(0), x.get(1), x.get(2)), null,
                                quarters(3, 5), quarters(1300, 5), quarters(1300)),
                        s("specials in the bias", x -> F.linear(x.get(0), x.get(1), x.get(2)), null,
                                quarters(2, 3), quarters(6, 3), custom(new long[] {6}, (r, n) -> new double[] {
                                    Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, -0.0, 0.25,
                                    -0.5})));
    }
}
