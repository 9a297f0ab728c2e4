package dev.kiln.checkpoint;

import static dev.kiln.testing.Assertions.assertClose;
import static dev.kiln.testing.Assertions.assertShape;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.tensor.DType;
import dev.kiln.tensor.Tensor;
import dev.kiln.testing.KilnTest;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SafetensorsTest extends KilnTest {
    @TempDir
    Path dir;

    /** A file laid out by the spec: u64 LE header length, header padded with spaces to 8 bytes, then data. */
    static byte[] file(String header, byte[] data, boolean pad) {
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        int n = pad ? (h.length + 7) / 8 * 8 : h.length;
        ByteBuffer b = ByteBuffer.allocate(8 + n + data.length).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(n).put(h);
        for (int i = h.length; i < n; i++) {
            b.put((byte) ' ');
        }
        return b.put(data).array();
    }

    static byte[] floats(float... v) {
        ByteBuffer b = ByteBuffer.allocate(4 * v.length).order(ByteOrder.LITTLE_ENDIAN);
        for (float x : v) {
            b.putFloat(x);
        }
        return b.array();
    }

    private Path write(String name, byte[] bytes) throws IOException {
        Path p = dir.resolve(name);
        Files.write(p, bytes);
        return p;
    }

    @Test
    void handWrittenFileLoads() throws IOException {
        Path p = write("w.safetensors", file("{\"weight\":{\"dtype\":\"F32\",\"shape\":[2,2],\"data_offsets\":[0,16]}}",
                floats(1.5f, -2f, 3f, 0.25f), true));
        Map<String, Tensor> m = Safetensors.load(p);
        Tensor w = m.get("weight");
        assertEquals(DType.FLOAT32, w.dtype());
        assertShape(w, 2, 2);
        assertClose(w, 0, 1.5, -2, 3, 0.25);
        assertSame(allocator, w.storage().allocator(), "owned by the caller's allocator");
    }

    @Test
    void pythonReferenceFileLoads() throws IOException, URISyntaxException {
        Path p = Path.of(getClass().getResource("/dev/kiln/checkpoint/reference.safetensors").toURI());
        Safetensors.Contents c = Safetensors.read(p);
        assertEquals(Map.of("format", "pt", "note", "hand-written \"reference\""), c.metadata());
        Map<String, Tensor> t = c.tensors();
        assertEquals(8, t.size());
        assertClose(t.get("weight"), 0, -1, -0.5, 0, 0.5, 1, 1.5);
        assertShape(t.get("weight"), 2, 3);
        assertArrayEquals(new double[] {0.1, -2.5, 1e-300}, t.get("bias").toDoubleArray());
        assertArrayEquals(new long[] {-1, 1L << 40, 3, 4}, t.get("ids").toLongArray());
        assertEquals(DType.INT32, t.get("counts").dtype());
        assertArrayEquals(new long[] {-7, 0, Integer.MAX_VALUE}, t.get("counts").toLongArray());
        assertArrayEquals(new boolean[] {true, false, false, true}, t.get("mask").toBooleanArray());
        assertArrayEquals(new long[] {0, 255}, t.get("pixels").toLongArray());
        assertEquals(0, t.get("scalar").dim());
        assertEquals(3.25, t.get("scalar").item());
        assertShape(t.get("empty"), 0, 4);
    }

    @Test
    void roundTripAllDtypesAndViews() throws IOException {
        LinkedHashMap<String, Tensor> in = new LinkedHashMap<>();
        in.put("a.weight", Tensor.of(new double[][] {{1, 2, 3}, {4, 5, 6}}).to(DType.FLOAT32).t()); // non-contiguous
        in.put("b", Tensor.of(Math.PI, -0.0, Double.MIN_VALUE, Double.NaN));
        in.put("c", Tensor.of(Long.MIN_VALUE, Long.MAX_VALUE));
        in.put("d", Tensor.of(1, -2, 3));
        in.put("e", Tensor.of(true, false));
        in.put("f", Tensor.of(7L, 200L).to(DType.UINT8));
        in.put("g", Tensor.zeros(3, 0));
        Path p = dir.resolve("rt.safetensors");
        Safetensors.save(in, p, Map.of("epoch", "3"));
        byte[] raw = Files.readAllBytes(p);
        long n = ByteBuffer.wrap(raw).order(ByteOrder.LITTLE_ENDIAN).getLong();
        assertEquals(0, (8 + n) % 8, "header padded to 8 bytes");
        Safetensors.Contents c = Safetensors.read(p);
        assertEquals(Map.of("epoch", "3"), c.metadata());
        assertEquals(in.keySet(), c.tensors().keySet());
        for (String k : in.keySet()) {
            Tensor a = in.get(k);
            Tensor b = c.tensors().get(k);
            assertEquals(a.dtype(), b.dtype(), k);
            assertArrayEquals(a.shape(), b.shape(), k);
            assertArrayEquals(a.toDoubleArray(), b.toDoubleArray(), k);
        }
        assertArrayEquals(in.get("c").toLongArray(), c.tensors().get("c").toLongArray());
        assertTrue(Files.notExists(dir.resolve("rt.safetensors.tmp")));
    }

    private void assertRejected(String header, byte[] data, String expectedFragment) throws IOException {
        assertRejected(file(header, data, true), expectedFragment);
    }

    private void assertRejected(byte[] bytes, String expectedFragment) throws IOException {
        Path p = write("bad.safetensors", bytes);
        var e = assertThrows(SafetensorsException.class, () -> Safetensors.load(p));
        assertTrue(e.getMessage().startsWith(p.toString()), e.getMessage());
        assertTrue(e.getMessage().contains(expectedFragment), e.getMessage());
    }

    private static String w(String dtype, String shape, String offsets) {
        return "\"weight\":{\"dtype\":\"" + dtype + "\",\"shape\":" + shape + ",\"data_offsets\":" + offsets + "}";
    }

    @Test
    void corruptFilesAreRejected() throws IOException {
        byte[] d16 = floats(1, 2, 3, 4);
        assertRejected(new byte[] {1, 2, 3}, "too small for the 8-byte header length");
        byte[] huge = file("{}", new byte[0], true);
        ByteBuffer.wrap(huge).order(ByteOrder.LITTLE_ENDIAN).putLong(0, 200L << 20);
        assertRejected(huge, "exceeds the limit of 104857600 bytes");
        byte[] past = file("{}", new byte[0], true);
        ByteBuffer.wrap(past).order(ByteOrder.LITTLE_ENDIAN).putLong(0, 64);
        assertRejected(past, "runs past the end");
        ByteBuffer.wrap(past).order(ByteOrder.LITTLE_ENDIAN).putLong(0, -1L);
        assertRejected(past, "header length 18446744073709551615 exceeds the limit");
        assertRejected("[1,2]", new byte[0], "header must start with '{'");
        assertRejected("{" + w("F32", "[2,2]", "[0,16]"), d16, "not valid JSON");
        assertRejected("{" + w("F32", "[2,2]", "[0,16]") + "}x", d16, "trailing data after the JSON value");
        assertRejected("{" + w("F32", "[2,2]", "[0,16]") + "," + w("F32", "[2,2]", "[0,16]") + "}", d16,
                "duplicate key \"weight\"");
        assertRejected("{" + w("Q4", "[2,2]", "[0,16]") + "}", d16, "tensor 'weight': unsupported dtype 'Q4'");
        assertRejected("{" + w("F32", "[2,3]", "[0,16]") + "}", d16, "tensor 'weight': data_offsets [0, 16] span 16 "
                + "bytes but shape [2, 3] of F32 needs 24");
        assertRejected("{" + w("F32", "[-2,2]", "[0,16]") + "}", d16, "field 'shape' must hold non-negative integers");
        assertRejected("{" + w("F32", "[2,2]", "[0,32]") + "}", d16, "are not inside the 16-byte data buffer");
        assertRejected("{" + w("F32", "[2,2]", "[16,0]") + "}", d16, "are not inside");
        assertRejected("{" + w("F32", "[2,2]", "[0]") + "}", d16, "field 'data_offsets' must be a list of 2");
        assertRejected("{" + w("F32", "[2,2]", "[0,16]") + ",\"b\":{\"dtype\":\"F32\",\"shape\":[2],"
                + "\"data_offsets\":[8,16]}}", floats(1, 2, 3, 4), "overlap");
        assertRejected("{" + w("F32", "[2]", "[8,16]") + "}", d16, "tensor 'weight': data_offsets [8, 16] leave bytes "
                + "[0, 8) of the buffer unused");
        assertRejected("{" + w("F32", "[2,2]", "[0,16]") + "}", floats(1, 2, 3, 4, 5), "tensors cover 16 bytes but "
                + "the data buffer has 20");
        assertRejected("{\"__metadata__\":{\"a\":1}," + w("F32", "[2,2]", "[0,16]") + "}", d16,
                "__metadata__ value for 'a' must be a string");
        assertRejected("{\"weight\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16],\"x\":1}}", d16,
                "tensor 'weight': unknown field 'x'");
        assertRejected("{\"weight\":[1]}", d16, "tensor 'weight': entry must be an object");
        ByteArrayOutputStream bad = new ByteArrayOutputStream();
        bad.writeBytes(file("{\"w\":1}", new byte[0], true));
        byte[] notUtf8 = bad.toByteArray();
        notUtf8[9] = (byte) 0xff;
        assertRejected(notUtf8, "not valid UTF-8");
        byte[] truncated = file("{" + w("F32", "[2,2]", "[0,16]") + "}", d16, true);
        assertRejected(java.util.Arrays.copyOf(truncated, truncated.length - 4), "are not inside the 12-byte");
    }

    @Test
    void unpaddedHeaderIsAccepted() throws IOException {
        // The spec only recommends padding; writers other than save_file may omit it.
        Path p = write("u.safetensors", file("{\"x\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}",
                floats(2f), false));
        assertClose(Safetensors.load(p).get("x"), 0, 2);
    }

    @Test
    void reservedNameRejectedOnSave() {
        var e = assertThrows(IllegalArgumentException.class,
                () -> Safetensors.save(Map.of("__metadata__", Tensor.ones(1)), dir.resolve("x")));
        assertEquals("tensor name '__metadata__' is reserved by safetensors", e.getMessage());
    }
}
