package dev.kiln.nn;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * {@code print(model)} text, following {@code Module.__repr__} and {@code _addindent} in
 * {@code torch/nn/modules/module.py}: {@code Name(extra)} for leaves, otherwise one line per extra-repr line and
 * per child {@code (name): childRepr}, indented by two spaces.
 */
final class ModuleRepr {
    private ModuleRepr() {
    }

    static String repr(Module m) {
        String extra = m.extraRepr();
        List<String> extraLines = extra.isEmpty() ? List.of() : Arrays.asList(extra.split("\n", -1));
        List<String> childLines = new ArrayList<>();
        for (Map.Entry<String, Module> c : m.ownChildren().entrySet()) {
            childLines.add(addIndent("(" + c.getKey() + "): " + c.getValue(), 2));
        }
        List<String> lines = new ArrayList<>(extraLines);
        lines.addAll(childLines);
        return wrap(m.name(), lines, extraLines.size() == 1 && childLines.isEmpty());
    }

    /** {@code Name(line)} when {@code inline}, else each line on its own, indented, like PyTorch. */
    static String wrap(String name, List<String> lines, boolean inline) {
        StringBuilder sb = new StringBuilder(name).append('(');
        if (!lines.isEmpty()) {
            if (inline) {
                sb.append(lines.get(0));
            } else {
                sb.append("\n  ").append(String.join("\n  ", lines)).append('\n');
            }
        }
        return sb.append(')').toString();
    }

    /** Indents every line but the first, like PyTorch's {@code _addindent}. */
    static String addIndent(String s, int spaces) {
        String[] lines = s.split("\n", -1);
        if (lines.length == 1) {
            return s;
        }
        String pad = " ".repeat(spaces);
        StringBuilder sb = new StringBuilder(lines[0]);
        for (int i = 1; i < lines.length; i++) {
            sb.append('\n').append(pad).append(lines[i]);
        }
        return sb.toString();
    }

    /**
     * A double as Python's {@code repr(float)} prints it ({@code 0.01}, {@code 1.0}, {@code 1e-05}), so extra
     * reprs match PyTorch's text.
     */
    static String pyFloat(double v) {
        if (v == Math.rint(v) && Math.abs(v) < 1e16) {
            return (long) v + ".0";
        }
        String s = Double.toString(v);
        int e = s.indexOf('E');
        if (e < 0) {
            return s;
        }
        String mantissa = s.substring(0, e);
        if (mantissa.endsWith(".0")) {
            mantissa = mantissa.substring(0, mantissa.length() - 2);
        }
        int exp = Integer.parseInt(s.substring(e + 1));
        if (exp > -5 && exp < 16) {
            return new java.math.BigDecimal(s).stripTrailingZeros().toPlainString();
        }
        String sign = exp < 0 ? "-" : "+";
        int abs = Math.abs(exp);
        return mantissa + "e" + sign + (abs < 10 ? "0" : "") + abs;
    }
}
