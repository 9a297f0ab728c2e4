package dev.kiln.checkpoint;

import static dev.kiln.testing.Assertions.assertClose;
import static dev.kiln.testing.Assertions.assertShape;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.checkpoint.Safetensors.Precision;
import dev.kiln.tensor.DType;
import dev.kiln.tensor.Tensor;
import dev.kiln.testing.Golden;
import dev.kiln.testing.KilnTest;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * F16 / BF16 against files and roundings of real PyTorch 1.13 ({@code gen_safetensors_half_torch.py}, written with
 * {@code safetensors.torch.save_file}); stream I/O; atomic save.
 */
class SafetensorsHalfAndStreamTest extends KilnTest {
    private static final Golden REF = Golden.load("/dev/kiln/checkpoint/half_torch.txt",
            "gen_safetensors_half_torch.py");

    @TempDir
    Path dir;

    @Test
    void readsTorchWrittenHalfFile() throws IOException, URISyntaxException {
        Path p = Path.of(getClass().getResource("/dev/kiln/checkpoint/half_reference.safetensors").toURI());
        var c = Safetensors.read(p);
        assertEquals(Map.of("format", "pt"), c.metadata());
        Tensor h = c.tensors().get("h16");
        assertEquals(DType.FLOAT16, h.dtype()); // as safetensors.torch.load_file gives
        assertEquals(DType.BFLOAT16, c.tensors().get("b16").dtype());
        assertShape(h, 2, 5);
        assertClose(h, 0, REF.values("h16.values"));
        assertClose(c.tensors().get("b16"), 0, REF.values("b16.values"));
        assertClose(c.tensors().get("f32"), 0, 1.5, -2.0, 0.25);
        var widened = Safetensors.read(p, true).tensors(); // the float32 option: exact
        assertEquals(DType.FLOAT32, widened.get("h16").dtype());
        assertEquals(DType.FLOAT32, widened.get("b16").dtype());
        assertClose(widened.get("h16"), 0, REF.values("h16.values"));
        assertClose(widened.get("b16"), 0, REF.values("b16.values"));
    }

    @Test
    void halfTensorsSaveAsF16AndBf16BitForBit() throws IOException, URISyntaxException {
        Path p = Path.of(getClass().getResource("/dev/kiln/checkpoint/half_reference.safetensors").toURI());
        Map<String, Tensor> loaded = Safetensors.load(p);
        Path again = dir.resolve("again.safetensors");
        Safetensors.save(loaded, again, Map.of("format", "pt"));
        assertArrayEquals(Files.readAllBytes(p), Files.readAllBytes(again)); // PyTorch's file, byte for byte
        Tensor f32 = REF.tensor("src32", DType.FLOAT32);
        assertBits("src32.f16", writtenBits(f32.half(), Precision.NATIVE));
        assertBits("src32.bf16", writtenBits(f32.bfloat16(), Precision.NATIVE));
        assertBits("src32.bf16", writtenBits(f32.bfloat16(), Precision.BF16));
        short[] viaHalf = writtenBits(f32.half(), Precision.BF16); // float16 -> float32 (exact) -> bfloat16
        short[] direct = writtenBits(f32.half().to(DType.FLOAT32), Precision.BF16);
        assertArrayEquals(direct, viaHalf);
    }

    /** The data section of a single-tensor file written to memory. */
    private static short[] writtenBits(Tensor t, Precision precision) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        Safetensors.write(Map.of("t", t), out, Map.of(), precision);
        ByteBuffer b = ByteBuffer.wrap(out.toByteArray()).order(ByteOrder.LITTLE_ENDIAN);
        long n = b.getLong();
        b.position((int) (8 + n));
        short[] bits = new short[(int) t.numel()];
        for (int i = 0; i < bits.length; i++) {
            bits[i] = b.getShort();
        }
        assertEquals(0, b.remaining());
        return bits;
    }

    private static void assertBits(String key, short[] got) {
        double[] expected = REF.values(key);
        for (int i = 0; i < got.length; i++) {
            assertEquals((int) expected[i], got[i] & 0xFFFF, key + " element " + i);
        }
    }

    @Test
    void writesF16AndBf16RoundedAsPyTorch() throws IOException {
        Tensor f32 = REF.tensor("src32", DType.FLOAT32);
        Tensor f64 = REF.tensor("src64");
        assertBits("src32.f16", writtenBits(f32, Precision.F16));
        assertBits("src32.bf16", writtenBits(f32, Precision.BF16));
        assertBits("src64.f16", writtenBits(f64, Precision.F16)); // via float32 first, as ATen: rounds twice
        assertBits("src64.bf16", writtenBits(f64, Precision.BF16));
        Tensor nan = Tensor.of(Float.NaN);
        assertBits("nan.f16", writtenBits(nan, Precision.F16));
        assertEquals(0x7FC0, writtenBits(nan, Precision.BF16)[0] & 0xFFFF); // a quiet NaN (PyTorch's SIMD path: 0xFFFF)
    }

    @Test
    void halfRoundTripsThroughAFileAndLeavesIntegersAlone() throws IOException {
        Map<String, Tensor> in = new LinkedHashMap<>();
        in.put("w", REF.tensor("src32", DType.FLOAT32));
        in.put("ids", Tensor.of(3L, -4L));
        Path p = dir.resolve("half.safetensors");
        Safetensors.save(in, p, Map.of(), Precision.BF16);
        var c = Safetensors.read(p);
        assertEquals(DType.INT64, c.tensors().get("ids").dtype());
        assertArrayEquals(new long[] {3, -4}, c.tensors().get("ids").toLongArray());
        short[] bits = writtenBits(in.get("w"), Precision.BF16);
        assertEquals(DType.BFLOAT16, c.tensors().get("w").dtype());
        float[] back = c.tensors().get("w").toFloatArray();
        for (int i = 0; i < bits.length; i++) {
            assertEquals(Float.intBitsToFloat((bits[i] & 0xFFFF) << 16), back[i], 0f);
        }
        long header = ByteBuffer.wrap(Files.readAllBytes(p), 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        assertEquals(8 + header + 24 * 2 + 2 * 8, Files.size(p)); // 24 BF16 elements (2 bytes), 2 int64 ones
    }

    @Test
    void streamsCarryTheSameBytesAsFiles() throws IOException {
        Map<String, Tensor> in = new LinkedHashMap<>();
        in.put("a", Tensor.of(new double[][] {{1, 2}, {3, 4}}).t());
        in.put("b", Tensor.of(true, false));
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        Safetensors.write(in, out, Map.of("k", "v"), Precision.NATIVE);
        Path p = dir.resolve("s.safetensors");
        Safetensors.save(in, p, Map.of("k", "v"));
        assertArrayEquals(Files.readAllBytes(p), out.toByteArray());
        var c = Safetensors.read(new ByteArrayInputStream(out.toByteArray()), "mem://s");
        assertEquals(Map.of("k", "v"), c.metadata());
        assertClose(c.tensors().get("a"), 0, 1, 3, 2, 4);
        assertEquals(List.of("a", "b"), List.copyOf(c.tensors().keySet()));
    }

    @Test
    void badStreamsAreRejected() throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        Safetensors.write(Map.of("a", Tensor.of(1.0, 2.0)), out, Map.of(), Precision.NATIVE);
        byte[] good = out.toByteArray();
        byte[] longer = Arrays.copyOf(good, good.length + 3);
        var extra = assertThrows(SafetensorsException.class,
                () -> Safetensors.read(new ByteArrayInputStream(longer), "mem://x"));
        assertTrue(extra.getMessage().startsWith("mem://x: data continues after the last tensor"), extra.getMessage());
        byte[] shorter = Arrays.copyOf(good, good.length - 1);
        var early = assertThrows(SafetensorsException.class,
                () -> Safetensors.read(new ByteArrayInputStream(shorter), "mem://y"));
        assertTrue(early.getMessage().startsWith("mem://y: file ended early"), early.getMessage());
    }

    @Test
    void failedSaveLeavesThePreviousFileAndNoTemporaries() throws IOException {
        Path p = dir.resolve("keep.safetensors");
        Safetensors.save(Map.of("a", Tensor.of(1f)), p);
        byte[] before = Files.readAllBytes(p);
        Tensor released = Tensor.of(2f, 3f);
        released.close();
        Map<String, Tensor> bad = new LinkedHashMap<>();
        bad.put("a", Tensor.of(5f));
        bad.put("b", released); // fails after the header and the first tensor were written
        assertThrows(IllegalStateException.class, () -> Safetensors.save(bad, p));
        assertArrayEquals(before, Files.readAllBytes(p));
        try (Stream<Path> files = Files.list(dir)) {
            assertEquals(List.of(p), files.toList());
        }
    }
}
