package dev.kiln.backend.cuda;

import dev.kiln.backend.cuda.KernelNames.Family;
import dev.kiln.backend.cuda.KernelNames.Kernel;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Reads the shipped PTX and checks it against {@link KernelNames}' catalog. */
final class PtxFiles {
    private static final Pattern ENTRY = Pattern.compile("^\\.visible \\.entry (\\w+)\\(", Pattern.MULTILINE);

    private PtxFiles() {
    }

    /** The shipped PTX of a family, from the classpath. */
    static String shipped(Family family) {
        try (InputStream in = PtxFiles.class.getResourceAsStream(family.resource())) {
            if (in == null) {
                throw new AssertionError("missing resource " + family.resource() + ": run src/main/cuda/build-ptx.sh");
            }
            return new String(in.readAllBytes(), StandardCharsets.US_ASCII);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Kernel name to its parameter declarations ({@code .param ...} lines, in order) for one PTX module. */
    static Map<String, List<String>> entries(String ptx) {
        Map<String, List<String>> out = new LinkedHashMap<>();
        Matcher m = ENTRY.matcher(ptx);
        while (m.find()) {
            int close = ptx.indexOf(')', m.end());
            if (close < 0) {
                throw new AssertionError("unterminated parameter list of " + m.group(1));
            }
            List<String> params = new ArrayList<>();
            for (String line : ptx.substring(m.end(), close).split("\n")) {
                String p = line.trim();
                if (p.startsWith(".param")) {
                    params.add(p.endsWith(",") ? p.substring(0, p.length() - 1) : p);
                }
            }
            out.put(m.group(1), params);
        }
        return out;
    }

    /** Every family's entries, read from the shipped PTX. */
    static Map<Family, Map<String, List<String>>> shippedEntries() {
        Map<Family, Map<String, List<String>>> all = new LinkedHashMap<>();
        for (Family f : Family.values()) {
            all.put(f, entries(shipped(f)));
        }
        return all;
    }

    /**
     * Every disagreement between a catalog and the PTX entries: a listed kernel missing from its module, a kernel
     * in a module that the catalog does not list (or lists under another family), a parameter count that differs.
     */
    static List<String> problems(Map<String, Kernel> catalog, Map<Family, Map<String, List<String>>> ptx) {
        List<String> problems = new ArrayList<>();
        for (Kernel k : catalog.values()) {
            List<String> params = ptx.getOrDefault(k.family(), Map.of()).get(k.name());
            if (params == null) {
                problems.add(k.name() + " is listed in KernelNames but is not an entry of "
                        + k.family().name().toLowerCase() + ".ptx");
            } else if (params.size() != k.params()) {
                problems.add(k.name() + " takes " + params.size() + " parameters in the PTX, KernelNames says "
                        + k.params());
            }
        }
        ptx.forEach((family, entries) -> {
            for (String name : entries.keySet()) {
                Kernel k = catalog.get(name);
                if (k == null || k.family() != family) {
                    problems.add(name + " is an entry of " + family.name().toLowerCase()
                            + ".ptx but is not listed in KernelNames" + (k == null ? "" : " for that family"));
                }
            }
        });
        return problems;
    }
}
