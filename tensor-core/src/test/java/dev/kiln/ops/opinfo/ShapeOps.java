package dev.kiln.ops.opinfo;

import static dev.kiln.ops.opinfo.Arg.fixed;
import static dev.kiln.ops.opinfo.Arg.normal;
import static dev.kiln.ops.opinfo.OpInfo.op;
import static dev.kiln.ops.opinfo.OpInfo.s;

import dev.kiln.tensor.DType;
import java.util.List;

/** Views and copies that change shape, layout or dtype. */
final class ShapeOps {
    private ShapeOps() {
    }

    static List<OpInfo> all() {
        return List.of(
            op("view").samples(
                s("[2,3] as [3,2]", x -> x.get(0).view(3, 2), "x0.view(3, 2)", normal(2, 3)),
                s("-1", x -> x.get(0).view(-1), "x0.view(-1)", normal(2, 3)),
                s("0-d as [1]", x -> x.get(0).view(1), "x0.view(1)", normal()),
                s("empty [0,3] as [3,0]", x -> x.get(0).view(3, 0), "x0.view(3, 0)", normal(0, 3))),
            op("reshape").samples(
                s("contiguous", x -> x.get(0).reshape(6, 1), "x0.reshape(6, 1)", normal(2, 3)),
                s("of transpose (copies)", x -> x.get(0).t().reshape(-1), "x0.t().reshape(-1)", normal(2, 3))),
            op("transpose").samples(
                s("0, 2", x -> x.get(0).transpose(0, 2), "x0.transpose(0, 2)", normal(2, 3, 4)),
                s("negative dims", x -> x.get(0).transpose(-1, -2), "x0.transpose(-1, -2)", normal(2, 3, 4))),
            op("t").samples(
                s("[2,3]", x -> x.get(0).t(), "x0.t()", normal(2, 3))),
            op("mT").samples(
                s("[2,3,4]", x -> x.get(0).mT(), "x0.mT", normal(2, 3, 4))),
            op("permute").samples(
                s("2, 0, 1", x -> x.get(0).permute(2, 0, 1), "x0.permute(2, 0, 1)", normal(2, 3, 4))),
            op("squeeze").samples(
                s("all", x -> x.get(0).squeeze(), "x0.squeeze()", normal(2, 1, 3, 1)),
                s("dim", x -> x.get(0).squeeze(1), "x0.squeeze(1)", normal(2, 1, 3)),
                s("dim not 1", x -> x.get(0).squeeze(0), "x0.squeeze(0)", normal(2, 1, 3))),
            op("unsqueeze").samples(
                s("1", x -> x.get(0).unsqueeze(1), "x0.unsqueeze(1)", normal(2, 3)),
                s("-1", x -> x.get(0).unsqueeze(-1), "x0.unsqueeze(-1)", normal(2, 3)),
                s("0-d", x -> x.get(0).unsqueeze(0), "x0.unsqueeze(0)", normal())),
            op("expand").samples(
                s("new leading dim", x -> x.get(0).expand(2, 3, 4), "x0.expand(2, 3, 4)", normal(3, 1)),
                s("-1", x -> x.get(0).expand(-1, 4), "x0.expand(-1, 4)", normal(3, 1)),
                s("0-d", x -> x.get(0).expand(2, 3), "x0.expand(2, 3)", normal())),
            op("expand_as").samples(
                s("[1,4] as [2,4]", x -> x.get(0).expandAs(x.get(1)), "x0.expand_as(x1)", normal(1, 4),
                        fixed(new double[8], 2, 4))),
            op("narrow").samples(
                s("dim 1", x -> x.get(0).narrow(1, 1, 2), "x0.narrow(1, 1, 2)", normal(2, 4)),
                s("to empty", x -> x.get(0).narrow(0, 1, 0), "x0.narrow(0, 1, 0)", normal(2, 4))),
            op("select").samples(
                s("dim 1", x -> x.get(0).select(1, 2), "x0.select(1, 2)", normal(2, 4)),
                s("negative index", x -> x.get(0).select(0, -1), "x0.select(0, -1)", normal(3, 2))),
            op("slice").samples(
                s("step 2", x -> x.get(0).slice(1, 0, 5, 2), "x0[:, 0:5:2]", normal(2, 5)),
                s("negative start", x -> x.get(0).slice(0, -2, 10), "x0[-2:10]", normal(4, 2)),
                s("of transposed", x -> x.get(0).t().slice(0, 1, 3, 1), "x0.t()[1:3]", normal(2, 4))),
            op("flatten").samples(
                s("all", x -> x.get(0).flatten(), "x0.flatten()", normal(2, 3, 4)),
                s("range", x -> x.get(0).flatten(1, 2), "x0.flatten(1, 2)", normal(2, 3, 4)),
                s("0-d", x -> x.get(0).flatten(), "x0.flatten()", normal())),
            op("unflatten").samples(
                s("dim 1", x -> x.get(0).unflatten(1, 2, -1), "x0.unflatten(1, (2, -1))", normal(3, 6))),
            op("contiguous").samples(
                s("of transpose", x -> x.get(0).t().contiguous(), "x0.t().contiguous()", normal(2, 3))),
            op("clone").samples(
                s("[2,3]", x -> x.get(0).clone(), "x0.clone()", normal(2, 3)),
                s("0-d", x -> x.get(0).clone(), "x0.clone()", normal())),
            op("to").samples(
                s("float32 and back", x -> x.get(0).to(DType.FLOAT32).to(DType.FLOAT64),
                        "x0.to(torch.float32).to(torch.float64)", normal(2, 3)).gradTol(1e-3, 1e-3, 1e-3)),
            op("view chains").samples(
                s("view then mul", x -> x.get(0).view(6).mul(x.get(1)).sum(0, true), "(x0.view(6) * x1).sum(0, True)",
                        normal(2, 3), normal(6)),
                s("select of expand", x -> x.get(0).expand(3, 4).select(0, 1).mul(2), "x0.expand(3, 4).select(0, 1) * 2",
                        normal(1, 4))));
    }
}
