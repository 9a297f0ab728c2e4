package dev.kiln.tensor;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.kiln.testing.KilnTest;
import org.junit.jupiter.api.Test;

/** Result dtypes follow torch.result_type, including its rule for 0-d operands. */
class PromotionTest extends KilnTest {

    @Test
    void dimensionedOperandsPromoteByCategoryThenWidth() {
        assertEquals(DType.FLOAT64, Tensor.ones(2).add(Tensor.ones(DType.FLOAT64, 2)).dtype());
        assertEquals(DType.FLOAT32, Tensor.ones(DType.INT64, 2).add(Tensor.ones(2)).dtype());
        assertEquals(DType.INT64, Tensor.ones(DType.INT32, 2).add(Tensor.ones(DType.INT64, 2)).dtype());
        assertEquals(DType.FLOAT32, Tensor.ones(DType.INT64, 2).div(Tensor.ones(DType.INT64, 2)).dtype());
        assertEquals(DType.BOOL, Tensor.ones(2).gt(Tensor.zeros(2)).dtype());
    }

    @Test
    void zeroDimOperandDoesNotWidenSameCategory() {
        assertEquals(DType.FLOAT32, Tensor.ones(2).mul(Tensor.scalar(2, DType.FLOAT64)).dtype());
        assertEquals(DType.INT32, Tensor.ones(DType.INT32, 2).mul(Tensor.scalar(2, DType.INT64)).dtype());
        assertEquals(DType.FLOAT64, Tensor.scalar(2, DType.FLOAT64).mul(Tensor.scalar(2)).dtype());
    }

    @Test
    void zeroDimOperandOfHigherCategoryLiftsToItsDefault() {
        assertEquals(DType.FLOAT32, Tensor.ones(DType.INT64, 2).mul(Tensor.scalar(2, DType.FLOAT64)).dtype());
        assertEquals(DType.FLOAT32, Tensor.ones(DType.INT64, 2).mul(2.5).dtype());
        assertEquals(DType.INT64, Tensor.ones(DType.INT64, 2).mul(2).dtype());
    }
}
