package dev.kiln.spark.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.spark.SparkTests;
import org.apache.spark.SparkConf;
import org.junit.jupiter.api.Test;

class SlotCheckTest {
    @Test
    void localTwoHasTwoSlots() {
        assertEquals(2, SlotCheck.slots(SparkTests.session().sparkContext()));
    }

    @Test
    void dynamicAllocationIsRefusedWithTheSettingNamed() {
        SparkConf conf = new SparkConf().set("spark.dynamicAllocation.enabled", "true");
        Exception e = assertThrows(IllegalArgumentException.class, () -> SlotCheck.check(conf, 8, 2));
        assertTrue(e.getMessage().contains("spark.dynamicAllocation.enabled=false"), e.getMessage());
    }
}
