package dev.kiln.ops.opinfo;

import static dev.kiln.ops.opinfo.Arg.fixed;
import static dev.kiln.ops.opinfo.Arg.normal;
import static dev.kiln.ops.opinfo.OpInfo.op;
import static dev.kiln.ops.opinfo.OpInfo.s;
import static dev.kiln.ops.opinfo.OpTable.bool;
import static dev.kiln.ops.opinfo.OpTable.dims;

import java.util.List;

/** Reductions, statistics, the softmax family, max/min along a dim, and the inclusive scans. */
final class ReductionOps {
    private ReductionOps() {
    }

    private static final double[] WITH_ZEROS = {2.0, 0.0, 3.0, -1.5, 0.5, 0.0, 1.5, -2.0, 0.0, 4.0, 0.0, -0.7, 0.9, 1.1,
        0.0};

    static List<OpInfo> all() {
        return List.of(
            op("sum").samples(
                s("all", x -> x.get(0).sum(), "x0.sum()", normal(2, 3, 4)),
                s("dim -1", x -> x.get(0).sum(-1), "x0.sum(-1)", normal(2, 3, 4)),
                s("dims keepdim", x -> x.get(0).sum(new long[] {0, 2}, true), "x0.sum((0, 2), keepdim=True)",
                        normal(2, 3, 4)),
                s("dims", x -> x.get(0).sum(new long[] {0, 2}, false), "x0.sum((0, 2))", normal(2, 3, 4)),
                s("0-d", x -> x.get(0).sum(), "x0.sum()", normal()),
                s("0-d dim 0", x -> x.get(0).sum(0), "x0.sum(0)", normal()),
                s("empty [0,3] dim 0", x -> x.get(0).sum(0), "x0.sum(0)", normal(0, 3)))
                .numpy("sum", (a, x) -> x.get(0).sum())
                .numpy("sum_dims", (a, x) -> x.get(0).sum(dims(a[0]), bool(a[1]))),
            op("mean").samples(
                s("all", x -> x.get(0).mean(), "x0.mean()", normal(2, 3, 4)),
                s("dim keepdim", x -> x.get(0).mean(1, true), "x0.mean(1, keepdim=True)", normal(2, 3, 4)),
                s("dims", x -> x.get(0).mean(new long[] {-1, 0}, false), "x0.mean((-1, 0))", normal(2, 3, 4)),
                s("0-d", x -> x.get(0).mean(), "x0.mean()", normal()))
                .numpy("mean", (a, x) -> x.get(0).mean())
                .numpy("mean_dims", (a, x) -> x.get(0).mean(dims(a[0]), bool(a[1]))),
            op("max").samples(
                s("full", x -> x.get(0).max(), "x0.max()", normal(3, 4)))
                .numpy("max", (a, x) -> x.get(0).max()),
            op("min").samples(
                s("full", x -> x.get(0).min(), "x0.min()", normal(3, 4)))
                .numpy("min", (a, x) -> x.get(0).min()),
            op("max.dim").samples(
                s("dim 1", x -> x.get(0).max(1, false).values(), "x0.max(1).values", normal(3, 4))),
            op("min.dim").samples(
                s("dim 0 keepdim", x -> x.get(0).min(0, true).values(), "x0.min(0, keepdim=True).values",
                        normal(3, 4))),
            op("var").samples(
                s("all", x -> x.get(0).var(), "x0.var()", normal(3, 4)),
                s("dim keepdim", x -> x.get(0).var(1, true), "x0.var(1, keepdim=True)", normal(3, 4)),
                s("dims correction 0", x -> x.get(0).var(new long[] {0, 2}, 0, false),
                        "torch.var(x0, (0, 2), correction=0)", normal(2, 3, 4)),
                s("correction 2", x -> x.get(0).var(new long[] {1}, 2, true),
                        "torch.var(x0, (1,), correction=2, keepdim=True)", normal(2, 5)))
                .numpy("var", (a, x) -> x.get(0).var())
                .numpy("var_dims", (a, x) -> x.get(0).var(dims(a[0]), Long.parseLong(a[1]), bool(a[2]))),
            op("std").samples(
                s("all", x -> x.get(0).std(), "x0.std()", normal(3, 4)),
                s("dim", x -> x.get(0).std(0, false), "x0.std(0)", normal(3, 4)),
                s("dims correction 0", x -> x.get(0).std(new long[] {-1}, 0, true),
                        "torch.std(x0, (-1,), correction=0, keepdim=True)", normal(2, 3, 4)))
                .numpy("std", (a, x) -> x.get(0).std())
                .numpy("std_dims", (a, x) -> x.get(0).std(dims(a[0]), Long.parseLong(a[1]), bool(a[2]))),
            op("softmax").samples(
                s("dim -1", x -> x.get(0).softmax(-1), "x0.softmax(-1)", normal(3, 4)),
                s("dim 0", x -> x.get(0).softmax(0), "x0.softmax(0)", normal(3, 4)),
                s("dim 1 of 3-d", x -> x.get(0).softmax(1), "x0.softmax(1)", normal(2, 3, 4)),
                s("0-d", x -> x.get(0).softmax(0), "x0.softmax(0)", normal()))
                .numpy("softmax", (a, x) -> x.get(0).softmax(Long.parseLong(a[0]))),
            op("log_softmax").samples(
                s("dim -1", x -> x.get(0).logSoftmax(-1), "x0.log_softmax(-1)", normal(3, 4)),
                s("dim 0", x -> x.get(0).logSoftmax(0), "x0.log_softmax(0)", normal(3, 4)))
                .numpy("logSoftmax", (a, x) -> x.get(0).logSoftmax(Long.parseLong(a[0]))),
            op("logsumexp").samples(
                s("dim 1", x -> x.get(0).logsumexp(1, false), "x0.logsumexp(1)", normal(3, 4)),
                s("dim 0 keepdim", x -> x.get(0).logsumexp(0, true), "x0.logsumexp(0, keepdim=True)", normal(3, 4)))
                .numpy("logsumexp", (a, x) -> x.get(0).logsumexp(Long.parseLong(a[0]), bool(a[1]))),
            op("cumsum").samples(
                s("dim 1", x -> x.get(0).cumsum(1), "x0.cumsum(1)", normal(2, 5, 3)),
                s("dim -1", x -> x.get(0).cumsum(-1), "x0.cumsum(-1)", normal(3, 4)),
                s("0-d", x -> x.get(0).cumsum(0), "x0.cumsum(0)", normal()),
                s("empty [0,4] dim 1", x -> x.get(0).cumsum(1), "x0.cumsum(1)", normal(0, 4))),
            op("cumprod").samples(
                s("dim 0", x -> x.get(0).cumprod(0), "x0.cumprod(0)", normal(5, 2)),
                s("dim 2", x -> x.get(0).cumprod(2), "x0.cumprod(2)", normal(2, 2, 6)),
                s("with zeros dim 1", x -> x.get(0).cumprod(1), "x0.cumprod(1)", fixed(WITH_ZEROS, 3, 5)),
                s("with zeros dim 0", x -> x.get(0).cumprod(0), "x0.cumprod(0)", fixed(WITH_ZEROS, 5, 3)),
                s("all zeros", x -> x.get(0).cumprod(0), "x0.cumprod(0)", fixed(new double[4], 4))));
    }
}
