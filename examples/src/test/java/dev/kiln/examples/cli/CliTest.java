package dev.kiln.examples.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.examples.cli.Flags.Kind;
import dev.kiln.testing.KilnTest;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/** Flag validation and exit codes, as a new user meets them: every bad value names its flag. */
class CliTest extends KilnTest {
    private static Flags flags() {
        return new Flags("demo", "A demo program.")
                .add("epochs", Kind.POSITIVE_INT, "5", "passes")
                .add("threads", Kind.NON_NEGATIVE_INT, "0", "threads")
                .add("lr", Kind.POSITIVE_DOUBLE, "LR", "0.001", "learning rate")
                .add("gamma", Kind.FRACTION, "G", "0.7", "decay")
                .add("seed", Kind.LONG, "S", "1", "seed")
                .add("data", Kind.PATH, "DIR", "data/mnist", "data")
                .add("master", Kind.STRING, "URL", null, "master")
                .positional("data");
    }

    private record Run(int code, String out, String err, boolean ran) {
    }

    private static Run run(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        AtomicBoolean ran = new AtomicBoolean();
        int code = Cli.run(flags(), args, v -> ran.set(true), new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8), ran.get());
    }

    @Test
    void badValuesAreRejectedBeforeAnyWorkAndNameTheFlag() {
        String[][] cases = {
            {"--epochs", "-1", "--epochs: expected a whole number >= 1, got '-1'"},
            {"--epochs", "0", "--epochs: expected a whole number >= 1, got '0'"},
            {"--epochs", "abc", "--epochs: expected a whole number >= 1, got 'abc'"},
            {"--epochs", "2.5", "--epochs: expected a whole number >= 1, got '2.5'"},
            {"--threads", "-3", "--threads: expected a whole number >= 0, got '-3'"},
            {"--lr", "0", "--lr: expected a number > 0, got '0'"},
            {"--lr", "NaN", "--lr: expected a number > 0, got 'NaN'"},
            {"--gamma", "1.5", "--gamma: expected a number in (0, 1], got '1.5'"},
            {"--seed", "x", "--seed: expected a whole number, got 'x'"},
            {"--data", "", "--data: expected a path, got ''"},
        };
        for (String[] c : cases) {
            Run r = run(c[0], c[1]);
            assertEquals(Cli.USAGE, r.code, String.join(" ", c));
            assertTrue(r.err.contains("demo: " + c[2]), r.err);
            assertTrue(r.err.contains("Run demo --help"), r.err);
            assertFalse(r.ran, "the program must not run with " + String.join(" ", c));
        }
    }

    @Test
    void unknownOptionsMissingValuesAndStrayArguments() {
        Run unknown = run("--epoch", "3");
        assertEquals(Cli.USAGE, unknown.code);
        assertTrue(unknown.err.contains("unknown option --epoch; expected one of --epochs, --threads"), unknown.err);
        Run missing = run("--epochs");
        assertTrue(missing.err.contains("--epochs needs a value (a whole number >= 1)"), missing.err);
        Run positional = run("some/dir");
        assertEquals(Cli.OK, positional.code, positional.err); // a bare argument is --data
    }

    @Test
    void helpPrintsUsageAndExitsZero() {
        for (String h : new String[] {"--help", "-h"}) {
            Run r = run("--epochs", "2", h);
            assertEquals(Cli.OK, r.code);
            assertFalse(r.ran);
            assertTrue(r.out.startsWith("Usage: demo [options] [DIR]"), r.out);
            assertTrue(r.out.contains("--epochs N"), r.out);
            assertTrue(r.out.contains("(default: 5)"), r.out);
            assertTrue(r.out.contains("--master URL"), r.out);
        }
    }

    @Test
    void goodValuesParseIncludingEqualsForm() {
        Flags.Values v = flags().parse("--epochs=3", "--lr", "1e-2", "--gamma", "1", "--seed", "-7", "--master",
                "local[2]");
        assertEquals(3, v.integer("epochs"));
        assertEquals(0.01, v.number("lr"));
        assertEquals(-7, v.longValue("seed"));
        assertEquals("local[2]", v.string("master"));
        assertFalse(flags().parse().has("master"));
    }

    @Test
    void failuresExitOneWithTheCauseChainOnce() {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = Cli.run(flags(), new String[0], v -> {
            throw new IllegalStateException("job failed", new java.io.IOException("no train-images-idx3-ubyte in x"));
        }, new PrintStream(new ByteArrayOutputStream()), new PrintStream(err, true, StandardCharsets.UTF_8));
        String e = err.toString(StandardCharsets.UTF_8);
        assertEquals(Cli.FAILED, code);
        assertTrue(e.contains("demo failed: job failed\n  caused by: no train-images-idx3-ubyte in x"), e);
    }

    @Test
    void describeKeepsRepeatedWrapperMessagesOnce() {
        Exception inner = new IllegalArgumentException("numWorkers=4 needs 4 task slots");
        Exception outer = new RuntimeException("java.lang.IllegalArgumentException: numWorkers=4 needs 4 task slots",
                inner);
        assertEquals("java.lang.IllegalArgumentException: numWorkers=4 needs 4 task slots", Cli.describe(outer));
    }

    @Test
    void progressLineFormat() {
        assertEquals("epoch 2/4 [##########..........]  50%  loss 0.0812  1,210 samples/s  ETA 0:25",
                ProgressLine.format(2, 4, 0.5, 0.0812, 1210, 25));
        assertEquals("epoch 1/1 [....................]   0%", ProgressLine.format(1, 1, 0, Double.NaN, 0, Double.NaN));
    }
}
