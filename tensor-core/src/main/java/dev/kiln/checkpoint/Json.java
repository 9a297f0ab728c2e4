package dev.kiln.checkpoint;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamWriteFeature;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Strict JSON (RFC 8259) for safetensors headers and checkpoint metadata, on Jackson's streaming parser and
 * generator (jackson-core, which tensor-core gets with jackson-databind). A header is untrusted input, so this
 * rejects rather than guesses.
 *
 * <p>Values map to {@code LinkedHashMap<String,Object>} (key order kept), {@code List<Object>}, {@code String},
 * {@code Long} (integers without fraction or exponent that fit), {@code Double}, {@code Boolean} and {@code null}.
 * Rejected (Jackson's defaults plus the checks here): duplicate keys, anything but whitespace after the value,
 * leading zeros, bare {@code NaN}/{@code Infinity}, comments, single quotes, trailing commas, control characters in
 * strings, unpaired surrogate escapes, integers beyond 64 bits, nesting deeper than {@value #MAX_DEPTH}.
 */
public final class Json {
    static final int MAX_DEPTH = 64;
    private static final JsonFactory FACTORY = JsonFactory.builder()
            .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(MAX_DEPTH).build())
            .disable(StreamWriteFeature.AUTO_CLOSE_TARGET)
            .build();

    /** A malformed document; the message names the offset and what was expected. */
    public static final class ParseException extends Exception {
        ParseException(String message) {
            super(message);
        }
    }

    private final JsonParser p;

    private Json(JsonParser p) {
        this.p = p;
    }

    /** Parses a whole document: one value, optionally surrounded by whitespace. */
    public static Object parse(String text) throws ParseException {
        try (JsonParser parser = FACTORY.createParser(text)) {
            Json json = new Json(parser);
            Object v;
            try {
                if (parser.nextToken() == null) {
                    throw json.error("unexpected end of JSON");
                }
                v = json.value();
            } catch (JsonProcessingException e) {
                throw json.wrap(e);
            }
            try {
                if (parser.nextToken() != null) {
                    throw json.error("trailing data after the JSON value");
                }
            } catch (JsonProcessingException e) {
                throw json.error("trailing data after the JSON value");
            }
            return v;
        } catch (IOException e) {
            throw new UncheckedIOException(e); // reading a String cannot fail
        }
    }

    /** Jackson's message (first line, without its source excerpt) and the offset it points at. */
    private ParseException wrap(JsonProcessingException e) {
        String what = e.getOriginalMessage().lines().findFirst().orElse("malformed JSON")
                .replaceFirst(": enable `[A-Za-z_.]+` to allow$", ""); // Jackson's hint to relax the rule: not for us
        var at = e.getLocation() != null ? e.getLocation() : p.currentLocation();
        return new ParseException(what + " at offset " + at.getCharOffset());
    }

    private ParseException error(String what) {
        long at = p.currentTokenLocation().getCharOffset();
        return new ParseException(what + " at offset " + (at >= 0 ? at : p.currentLocation().getCharOffset()));
    }

    /** The value starting at the current token. */
    private Object value() throws IOException, ParseException {
        JsonToken t = p.currentToken();
        return switch (t) {
            case START_OBJECT -> object();
            case START_ARRAY -> array();
            case VALUE_STRING -> checkedString(p.getText());
            case VALUE_NUMBER_INT -> {
                if (p.getNumberType() == JsonParser.NumberType.BIG_INTEGER) {
                    throw error("integer " + p.getText() + " does not fit in 64 bits");
                }
                yield p.getLongValue();
            }
            case VALUE_NUMBER_FLOAT -> p.getDoubleValue();
            case VALUE_TRUE -> Boolean.TRUE;
            case VALUE_FALSE -> Boolean.FALSE;
            case VALUE_NULL -> null;
            default -> throw error("unexpected token " + t);
        };
    }

    private LinkedHashMap<String, Object> object() throws IOException, ParseException {
        LinkedHashMap<String, Object> out = new LinkedHashMap<>();
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String key = checkedString(p.currentName());
            if (out.containsKey(key)) {
                throw error("duplicate key \"" + key + "\"");
            }
            p.nextToken();
            out.put(key, value());
        }
        return out;
    }

    private List<Object> array() throws IOException, ParseException {
        List<Object> out = new ArrayList<>();
        while (p.nextToken() != JsonToken.END_ARRAY) {
            out.add(value());
        }
        return out;
    }

    /** Jackson decodes a lone {@code \\ud800} escape to a lone surrogate; valid JSON text has none. */
    private String checkedString(String s) throws ParseException {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
                i++;
            } else if (Character.isSurrogate(c)) {
                throw error("unpaired surrogate in \\u escape");
            }
        }
        return s;
    }

    // ---------------------------------------------------------------- writing

    /**
     * Writes {@code value} compactly. Maps need String keys; numbers must be finite (JSON has no NaN or Infinity,
     * so callers encode those as strings); integral types are written exactly, doubles in Java's shortest
     * round-trip form.
     */
    public static String write(Object value) {
        StringWriter out = new StringWriter();
        try (JsonGenerator g = FACTORY.createGenerator(out)) {
            write(value, g);
        } catch (IOException e) {
            throw new UncheckedIOException(e); // writing to a String cannot fail
        }
        return out.toString();
    }

    private static void write(Object v, JsonGenerator g) throws IOException {
        if (v == null) {
            g.writeNull();
        } else if (v instanceof String str) {
            g.writeString(str);
        } else if (v instanceof Boolean b) {
            g.writeBoolean(b);
        } else if (v instanceof Long || v instanceof Integer || v instanceof Short) {
            g.writeNumber(((Number) v).longValue());
        } else if (v instanceof Number n) {
            double d = n.doubleValue();
            if (!Double.isFinite(d)) {
                throw new IllegalArgumentException("JSON cannot represent " + d + "; encode it as a string");
            }
            g.writeNumber(d);
        } else if (v instanceof Map<?, ?> m) {
            g.writeStartObject();
            for (Map.Entry<?, ?> e : m.entrySet()) {
                if (!(e.getKey() instanceof String key)) {
                    throw new IllegalArgumentException("JSON object keys must be strings, got " + e.getKey());
                }
                g.writeFieldName(key);
                write(e.getValue(), g);
            }
            g.writeEndObject();
        } else if (v instanceof Iterable<?> list) {
            g.writeStartArray();
            for (Object o : list) {
                write(o, g);
            }
            g.writeEndArray();
        } else if (v instanceof long[] a) {
            g.writeArray(a, 0, a.length);
        } else {
            throw new IllegalArgumentException("cannot write " + v.getClass().getName() + " as JSON");
        }
    }
}
