package dev.kiln.ops.opinfo;

import static dev.kiln.ops.opinfo.Arg.index;
import static dev.kiln.ops.opinfo.Arg.normal;
import static dev.kiln.ops.opinfo.OpInfo.op;
import static dev.kiln.ops.opinfo.OpInfo.s;

import dev.kiln.ops.Indexing;
import dev.kiln.tensor.Tensor;
import java.util.List;

/** Joining and splitting, and the index-based ops (gather, scatter, index_select, index_add). */
final class IndexingOps {
    private IndexingOps() {
    }

    static List<OpInfo> all() {
        return List.of(
            op("cat").samples(
                s("dim 0", x -> Tensor.cat(List.of(x.get(0), x.get(1)), 0), "torch.cat([x0, x1], 0)", normal(2, 3),
                        normal(1, 3)),
                s("dim -1 same tensor twice", x -> Tensor.cat(List.of(x.get(0), x.get(0)), -1),
                        "torch.cat([x0, x0], -1)", normal(2, 3)),
                s("with an empty piece", x -> Tensor.cat(List.of(x.get(0), x.get(1)), 0), "torch.cat([x0, x1], 0)",
                        normal(2, 3), normal(0, 3))),
            op("stack").samples(
                s("dim 1", x -> Tensor.stack(List.of(x.get(0), x.get(1)), 1), "torch.stack([x0, x1], 1)",
                        normal(2, 3), normal(2, 3))),
            op("split").samples(
                s("piece 1", x -> x.get(0).split(2, 1).get(1), "x0.split(2, 1)[1]", normal(2, 5)),
                s("sizes piece 0", x -> x.get(0).split(new long[] {1, 3}, 0).get(0), "x0.split([1, 3], 0)[0]",
                        normal(4, 2))),
            op("chunk").samples(
                s("piece 2", x -> x.get(0).chunk(3, 0).get(2), "x0.chunk(3, 0)[2]", normal(5, 2))),
            op("gather").samples(
                s("dim 1", x -> x.get(0).gather(1, x.get(1)), "x0.gather(1, x1)", normal(3, 4),
                        index(new long[] {0, 3, 3, 1, 2, 0}, 3, 2))),
            op("scatter").samples(
                s("dim 0", x -> x.get(0).scatter(0, x.get(2), x.get(1)), "x0.scatter(0, x2, x1)", normal(3, 2),
                        normal(2, 2), index(new long[] {2, 0, 1, 2}, 2, 2))),
            op("scatter_add").samples(
                s("duplicate indices", x -> x.get(0).scatterAdd(1, x.get(2), x.get(1)), "x0.scatter_add(1, x2, x1)",
                        normal(2, 3), normal(2, 2), index(new long[] {1, 1, 0, 2}, 2, 2))),
            op("index_select").samples(
                s("dim 0 repeated", x -> x.get(0).indexSelect(0, x.get(1)), "x0.index_select(0, x1)", normal(4, 3),
                        index(new long[] {3, 0, 3}, 3)),
                s("dim 1", x -> x.get(0).indexSelect(1, x.get(1)), "x0.index_select(1, x1)", normal(2, 4),
                        index(new long[] {2, 1}, 2))),
            op("index_add").samples(
                s("dim 0 repeated", x -> Indexing.indexAdd(x.get(0), 0, x.get(2), x.get(1)), "x0.index_add(0, x2, x1)",
                        normal(4, 3), normal(3, 3), index(new long[] {3, 1, 3}, 3)),
                s("dim 1", x -> Indexing.indexAdd(x.get(0), 1, x.get(2), x.get(1)), "x0.index_add(1, x2, x1)",
                        normal(2, 4), normal(2, 2), index(new long[] {0, 2}, 2))));
    }
}
