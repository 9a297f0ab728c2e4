package dev.kiln.ops.opinfo;

import static dev.kiln.ops.opinfo.Arg.normal;
import static dev.kiln.ops.opinfo.OpInfo.op;
import static dev.kiln.ops.opinfo.OpInfo.s;

import java.util.List;

/** Matrix products: matmul with every operand rank and broadcast batches, mm, bmm. */
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
                s("[2,2,3] @ [2,3,2]", x -> x.get(0).bmm(x.get(1)), "x0.bmm(x1)", normal(2, 2, 3), normal(2, 3, 2))));
    }
}
