package dev.kiln.examples.tour;

import dev.kiln.autograd.Autograd;
import dev.kiln.autograd.Function;
import dev.kiln.autograd.FunctionCtx;
import dev.kiln.tensor.DType;
import dev.kiln.tensor.Tensor;

/** Sections 1-4 of the {@link Tour}: tensors, views, autograd, detach. */
final class TensorsTour {
    private TensorsTour() {
    }

    static void tensors(Tour t) {
        t.show("Tensor.zeros(3, 3)", Tensor.zeros(3, 3));
        t.show("Tensor.ones(2, 4)", Tensor.ones(2, 4));
        t.show("Tensor.eye(4)", Tensor.eye(4));
        t.record("full", "Tensor.full(new long[] {2, 3}, 5, DType.INT64)", Tensor.full(new long[] {2, 3}, 5,
                DType.INT64));
        Tensor x = Tensor.of(1L, 2L, 3L);
        Tensor y = Tensor.of(4L, 5L, 6L);
        t.record("add", "x.add(y)      // [1,2,3] + [4,5,6]", x.add(y));
        t.record("broadcast", "x.add(Tensor.scalar(2, DType.INT64))", x.add(Tensor.scalar(2, DType.INT64)));
        Tensor a = Tensor.of(new float[][] {{1, 2}, {3, 4}});
        Tensor b = Tensor.of(new float[][] {{5, 6}, {7, 8}});
        t.record("matmul", "a.matmul(b)   // [[1,2],[3,4]] @ [[5,6],[7,8]]", a.matmul(b));
        t.recordShape("matmulShape", "Tensor.randn(2, 3).matmul(Tensor.randn(3, 4)).shape()",
                Tensor.randn(2, 3).matmul(Tensor.randn(3, 4)).shape());
        Tensor m = Tensor.of(1L, 2L, 3L, 4L, 5L, 6L).view(2, 3);
        try {
            m.add(Tensor.of(10L, 20L));
            t.show("[2, 3] + [2]", "no error?!");
        } catch (RuntimeException e) {
            t.show("m.add(Tensor.of(10L, 20L))   // [2,3] + [2]", e.getClass().getSimpleName() + ": "
                    + e.getMessage());
        }
        Tensor sq = Tensor.of(1L, 2L, 3L, 4L).view(2, 2);
        t.record("index", "sq.get(0, 1)  // x[0, 1]", sq.get(0, 1));
        t.record("column", "sq.select(1, 1)  // x[:, 1]", sq.select(1, 1));
        t.show("m.shape(), m.dim(), dtype, device", Tour.shape(m.shape()) + ", " + m.dim() + ", "
                + Tensor.of(1f, 2f, 3f).dtype() + ", " + m.device());
        t.recordShape("transpose", "Tensor.zeros(2, 3).transpose(0, 1).shape()", (Tensor.zeros(2, 3)
                .transpose(0, 1).shape()));
        t.recordShape("squeeze", "Tensor.zeros(2, 1, 3).squeeze(1).shape()", (Tensor.zeros(2, 1, 3)
                .squeeze(1).shape()));
        t.recordShape("unsqueeze", "Tensor.zeros(3, 2).unsqueeze(2).shape()", (Tensor.zeros(3, 2)
                .unsqueeze(2).shape()));
        t.recordShape("cat1", "Tensor.cat([2,1,3], [2,3,3], [2,2,3]; dim 1).shape()", (Tensor.cat(
                Tour.list(Tensor.zeros(2, 1, 3), Tensor.zeros(2, 3, 3), Tensor.zeros(2, 2, 3)), 1).shape()));
        t.recordShape("cat0", "Tensor.cat([1,2,3], [2,2,3], [3,2,3]; dim 0).shape()", (Tensor.cat(
                Tour.list(Tensor.zeros(1, 2, 3), Tensor.zeros(2, 2, 3), Tensor.zeros(3, 2, 3)), 0).shape()));
        Tensor one = Tensor.of(-0.4717f);
        t.show("Tensor.of(-0.4717f).item()", one.item());
        t.show("Tensor.randn(2, 2).toDoubleArray()  // tolist()", java.util.Arrays.toString(Tensor.randn(2, 2)
                .toDoubleArray()));
    }

    static void views(Tour t) {
        Tensor x = Tensor.of(1L, 2L, 3L, 4L).view(2, 2);
        t.recordFlag("tContiguous", "x.t().isContiguous()", x.t().isContiguous());
        Tensor v = Tensor.of(1L, 2L, 3L);
        Tensor y = v.view(3, 1);
        v.set(10, 0);
        t.record("viewShares", "y = x.view(3, 1); x.set(10, 0); y", y);
    }

    /** PyTorch's custom-Function example: a ReLU whose backward zeroes the gradient where the input was negative. */
    static final class MyReLU extends Function {
        @Override
        protected Tensor forward(FunctionCtx ctx, Tensor... in) {
            ctx.saveForBackward(in[0]);
            return in[0].clampMin(0);
        }

        @Override
        protected Tensor[] backward(FunctionCtx ctx, Tensor gradOutput) {
            Tensor input = ctx.savedTensors()[0];
            return new Tensor[] {gradOutput.maskedFill(input.lt(0), 0)};
        }
    }

    static void autograd(Tour t) {
        Tensor x = Tensor.of(2f).requiresGrad_(true);
        x.pow(2).add(x.mul(3)).add(5).backward();
        t.record("quadratic", "y = x² + 3x + 5 at x=2; y.backward(); x.grad()", x.grad());

        Tensor xs = Tensor.scalar(3).requiresGrad_(true);
        Tensor w = Tensor.scalar(2).requiresGrad_(true);
        Tensor b = Tensor.scalar(1).requiresGrad_(true);
        w.mul(xs).add(b).pow(2).backward();
        t.note("z = (w·x + b)² at x=3, w=2, b=1: dz/dw = 2(wx+b)·x = 42, dz/db = 2(wx+b) = 14,");
        t.note("dz/dx = 2(wx+b)·w = 28 (one tutorial prints 6, 14 and 42: wrong)");
        t.record("wGrad", "w.grad()", w.grad());
        t.record("bGrad", "b.grad()", b.grad());
        t.record("xGrad", "x.grad()", xs.grad());

        Tensor m = Tensor.of(new float[][] {{1, 0}, {-1, 1}}).requiresGrad_(true);
        m.pow(2).sum().backward();
        t.record("sumSquaresGrad", "x=[[1,0],[-1,1]]; x.pow(2).sum().backward(); x.grad()  // 2x", m.grad());

        Tensor r = Tensor.randn(3).requiresGrad_(true);
        t.show("x.pow(2).requiresGrad()", r.pow(2).requiresGrad());
        boolean inside;
        try (var noGrad = Autograd.noGrad()) {
            inside = r.pow(2).requiresGrad();
        }
        t.recordFlag("noGrad", "under Autograd.noGrad(): x.pow(2).requiresGrad()", inside);

        Tensor c = Tensor.of(-1f, 2f, -3f).requiresGrad_(true);
        new MyReLU().apply(c).sum().backward();
        t.record("customFunction", "new MyReLU().apply(x).sum().backward(); x.grad()", c.grad());
    }

    static void detach(Tour t) {
        Tensor a = Tensor.of(7f, 0f, 0f).requiresGrad_(true);
        Tensor b = a.add(2);
        t.show("b = a.add(2)", b);
        Tensor loss = b.mul(b).mean();
        b.detach().zero_();
        t.show("b.detach().zero_(); b   // same storage", b);
        try {
            loss.backward();
            t.show("loss.backward()", "no error?!");
        } catch (RuntimeException e) {
            t.record("inplaceDetected", "loss.backward()  // " + e.getClass().getSimpleName() + ": "
                    + e.getMessage().substring(0, Math.min(60, e.getMessage().length())) + "...", 1);
        }
        Tensor a2 = Tensor.of(7f, 0f, 0f).requiresGrad_(true);
        Tensor b2 = a2.add(2);
        b2.mul(b2).mean().backward();
        t.note("left alone, d mean(b²)/da = 2b/3 with b = [9, 2, 2]");
        t.record("meanSquareGrad", "a.grad()", a2.grad());
    }
}
