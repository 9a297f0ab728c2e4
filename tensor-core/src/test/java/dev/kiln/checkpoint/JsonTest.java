package dev.kiln.checkpoint;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import org.junit.jupiter.api.Test;

class JsonTest {
    @Test
    void parsesValues() throws Json.ParseException {
        Object v = Json.parse(" {\"a\": [1, -2.5e3, true, false, null], \"b\": \"x\\\"\\u00e9\\ud83d\\ude00\\n\", "
                + "\"c\": {}, \"d\": 9223372036854775807} ");
        var m = (LinkedHashMap<?, ?>) v;
        assertEquals(List.of("a", "b", "c", "d"), List.copyOf(m.keySet()));
        assertEquals(Arrays.asList(1L, -2500.0, true, false, null), m.get("a"));
        assertEquals("x\"é\uD83D\uDE00\n", m.get("b"));
        assertEquals(Long.MAX_VALUE, m.get("d"));
    }

    @Test
    void writeThenParseRoundTrips() throws Json.ParseException {
        LinkedHashMap<String, Object> m = new LinkedHashMap<>();
        m.put("q\"\\\t\u0001", List.of(0.1, 1e-300, -3L, Long.MIN_VALUE, "s"));
        m.put("n", null);
        assertEquals(m, Json.parse(Json.write(m)));
        assertThrows(IllegalArgumentException.class, () -> Json.write(Double.NaN));
    }

    @Test
    void rejectsMalformed() {
        for (String bad : List.of("", "{", "{\"a\":1,}", "[1,]", "01", "1.", "-", "1e", "NaN", "Infinity", "\"\\x\"",
                "\"a\nb\"", "\"\\ud800\"", "{\"a\":1}{}", "{a:1}", "tru", "[1 2]", "99999999999999999999",
                "{\"a\":1,\"a\":2}", "[".repeat(100) + "]".repeat(100))) {
            var e = assertThrows(Json.ParseException.class, () -> Json.parse(bad), bad);
            assertTrue(e.getMessage().contains("at offset"), e.getMessage());
        }
    }

    @Test
    void messagesNameTheProblemAndOffset() {
        assertEquals("duplicate key \"a\" at offset 8", message("{\"a\":1, \"a\":2}"));
        assertEquals("trailing data after the JSON value at offset 7", message("{\"a\":1}{}"));
        assertEquals("integer 99999999999999999999 does not fit in 64 bits at offset 1",
                message("[99999999999999999999]"));
        assertEquals("unpaired surrogate in \\u escape at offset 0", message("\"\\ud800\""));
        assertEquals("unexpected end of JSON at offset 2", message("  "));
        assertTrue(message("[".repeat(100) + "]".repeat(100)).contains("nesting depth"), "depth limit");
        assertEquals("Non-standard token 'NaN' at offset 4", message("[NaN]"));
    }

    private static String message(String bad) {
        return assertThrows(Json.ParseException.class, () -> Json.parse(bad), bad).getMessage();
    }
}
