package dev.kiln.spark.ml;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.nn.BatchNorm1d;
import dev.kiln.nn.Dropout;
import dev.kiln.nn.LayerNorm;
import dev.kiln.nn.Linear;
import dev.kiln.nn.Module;
import dev.kiln.nn.Sequential;
import dev.kiln.nn.Unflatten;
import dev.kiln.tensor.DType;
import dev.kiln.testing.KilnTest;
import java.util.List;
import org.junit.jupiter.api.Test;

class ModelSpecTest extends KilnTest {
    private static String error(Runnable r) {
        return assertThrows(IllegalArgumentException.class, r::run).getMessage();
    }

    @Test
    void mlpBuildsTheSequentialPyTorchWouldAndRoundTripsThroughJson() {
        ModelSpec spec = ModelSpec.mlp(784, 128, 10);
        assertEquals("{\"class\":\"dev.kiln.nn.Sequential\",\"args\":[{\"class\":\"dev.kiln.nn.Linear\",\"args\":[784,"
                + "128]},{\"class\":\"dev.kiln.nn.ReLU\"},{\"class\":\"dev.kiln.nn.Linear\",\"args\":[128,10]}]}",
                spec.toJson());
        assertEquals("Sequential(Linear(784, 128), ReLU(), Linear(128, 10))", spec.toString());
        assertEquals(spec, ModelSpec.parse(spec.toJson()));
        try (Module m = spec.create()) {
            assertEquals(List.of("0.weight", "0.bias", "2.weight", "2.bias"), List.copyOf(m.stateDict().keySet()));
            assertEquals(128, ((Linear) ((Sequential) m).get(2)).inFeatures());
        }
    }

    @Test
    void argumentsConvertToTheConstructorsTypes() {
        ModelSpec spec = ModelSpec.sequential(
                ModelSpec.of("Unflatten", 1, new long[] {2, 3}),      // long varargs given as an array
                ModelSpec.of("dev.kiln.nn.Unflatten", 2, 3, 1),        // ... or spread
                ModelSpec.of("Flatten"),
                ModelSpec.of("Linear", 6, 4, false, DType.FLOAT64),   // boolean and an enum (saved as its name)
                ModelSpec.of("LayerNorm", List.of(4)),                 // long... from a list
                ModelSpec.of("Dropout", 0.25),
                ModelSpec.of("BatchNorm1d", 4, 1e-3, null, true, true)); // a null Double
        ModelSpec reparsed = ModelSpec.parse(spec.toJson());
        assertEquals(spec, reparsed);
        try (Module m = reparsed.create()) {
            Sequential s = (Sequential) m;
            assertInstanceOf(Unflatten.class, s.get(0));
            Linear linear = (Linear) s.get(3);
            assertEquals(DType.FLOAT64, linear.weight().dtype());
            assertEquals(null, linear.bias());
            assertInstanceOf(LayerNorm.class, s.get(4));
            assertInstanceOf(Dropout.class, s.get(5));
            assertInstanceOf(BatchNorm1d.class, s.get(6));
        }
    }

    @Test
    void onlyModuleClassesMayBeNamed() {
        String m = error(() -> ModelSpec.of("java.lang.ProcessBuilder", "sh").create());
        assertTrue(m.contains("ModelSpec class 'java.lang.ProcessBuilder' is not a dev.kiln.nn.Module; a spec may only "
                + "name Module subclasses"), m);
        m = error(() -> ModelSpec.of("Conv9d", 1).create());
        assertTrue(m.contains("ModelSpec class 'dev.kiln.nn.Conv9d' was not found on the classpath"), m);
        m = error(() -> ModelSpec.of("dev.kiln.nn.Module").create());
        assertTrue(m.contains("must be a public, concrete"), m);
    }

    @Test
    void mismatchedArgumentsListTheConstructors() {
        String m = error(() -> ModelSpec.of("Linear", 4, "wide").create());
        assertTrue(m.contains("ModelSpec Linear(4, \"wide\"): no public constructor of dev.kiln.nn.Linear accepts these "
                + "arguments; its public constructors are [Linear(long, long), Linear(long, long, boolean), "
                + "Linear(long, long, boolean, DType)]"), m);
        m = error(() -> ModelSpec.of("Linear", 4.5, 2).create());
        assertTrue(m.contains("no public constructor"), m);
        m = error(() -> ModelSpec.of("Linear", 4, -2).create());
        assertTrue(m.contains("ModelSpec Linear(4, -2): Linear's constructor threw"), m);
        try (Linear built = new Linear(2, 2)) {
            m = error(() -> ModelSpec.of("Sequential", built));
            assertTrue(m.contains("is a built Linear; pass a ModelSpec instead"), m);
        }
    }

    @Test
    void malformedJsonIsRejectedWithItsLocation() {
        String m = error(() -> ModelSpec.parse("{\"class\":\"Linear\",\"args\":[4,2],\"init\":\"x\"}"));
        assertTrue(m.contains("architecture has an unknown key 'init'"), m);
        m = error(() -> ModelSpec.parse("{\"args\":[4,2]}"));
        assertTrue(m.contains("architecture needs a \"class\" string"), m);
        m = error(() -> ModelSpec.parse("{\"class\":\"Sequential\",\"args\":[{\"class\":7}]}"));
        assertTrue(m.contains("architecture(Sequential).args[0] needs a \"class\" string, got 7"), m);
        m = error(() -> ModelSpec.parse("{\"class\":"));
        assertTrue(m.contains("architecture is not valid JSON"), m);
    }
}
