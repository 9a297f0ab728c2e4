package dev.kiln.examples.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The examples' command-line options: {@code --name value} (or {@code --name=value}), each declared with a kind that
 * validates its value when parsed, so a bad value fails before any work and the error names the flag, the value and
 * what was expected ({@code --epochs: expected a whole number >= 1, got 'abc'}). {@code --help} / {@code -h} asks
 * for {@link #usage()}.
 *
 * <pre>{@code
 * Flags flags = new Flags("MnistMlp", "MNIST with a 784-256-128-10 MLP.")
 *     .add("epochs", Kind.POSITIVE_INT, "5", "passes over the training set");
 * Flags.Values v = flags.parse(args);        // throws UsageException (exit 2) or HelpRequested (exit 0)
 * int epochs = v.integer("epochs");
 * }</pre>
 */
public final class Flags {
    /** What a flag's value must be. */
    public enum Kind {
        POSITIVE_INT("N", "a whole number >= 1"),
        NON_NEGATIVE_INT("N", "a whole number >= 0"),
        LONG("N", "a whole number"),
        POSITIVE_DOUBLE("X", "a number > 0"),
        FRACTION("X", "a number in (0, 1]"),
        PATH("PATH", "a path"),
        STRING("VALUE", "a value");

        final String metavar;
        final String expected;

        Kind(String metavar, String expected) {
            this.metavar = metavar;
            this.expected = expected;
        }
    }

    private record Flag(String name, Kind kind, String defaultValue, String help, String metavar) {
    }

    private final String program;
    private final String summary;
    private final Map<String, Flag> flags = new LinkedHashMap<>();
    private String positional;

    public Flags(String program, String summary) {
        this.program = program;
        this.summary = summary;
    }

    /** Declares {@code --name}; {@code defaultValue} null means "not set" (then {@link Values#has} is false). */
    public Flags add(String name, Kind kind, String defaultValue, String help) {
        return add(name, kind, kind.metavar, defaultValue, help);
    }

    /** Declares {@code --name METAVAR}. */
    public Flags add(String name, Kind kind, String metavar, String defaultValue, String help) {
        if (flags.put(name, new Flag(name, kind, defaultValue, help, metavar)) != null) {
            throw new IllegalArgumentException("flag --" + name + " declared twice");
        }
        if (defaultValue != null) {
            check(flags.get(name), defaultValue); // a bad default is a programming error, caught at once
        }
        return this;
    }

    /** A bare argument (not starting with --) is taken as the value of {@code --name}. */
    public Flags positional(String name) {
        this.positional = name;
        return this;
    }

    public String program() {
        return program;
    }

    /** Parses {@code args}; every value is validated here. */
    public Values parse(String... args) {
        Map<String, String> values = new LinkedHashMap<>();
        flags.values().forEach(f -> {
            if (f.defaultValue() != null) {
                values.put(f.name(), f.defaultValue());
            }
        });
        for (int i = 0; i < args.length; i++) {
            String arg = args[i];
            if (arg.equals("--help") || arg.equals("-h")) {
                throw new HelpRequested(usage());
            }
            if (!arg.startsWith("--")) {
                if (positional == null) {
                    throw new UsageException("unexpected argument '" + arg + "'; options start with --");
                }
                values.put(positional, check(flags.get(positional), arg));
                continue;
            }
            String name = arg.substring(2);
            String value = null;
            int eq = name.indexOf('=');
            if (eq >= 0) {
                value = name.substring(eq + 1);
                name = name.substring(0, eq);
            }
            Flag f = flags.get(name);
            if (f == null) {
                throw new UsageException("unknown option --" + name + "; expected one of " + names());
            }
            if (value == null) {
                if (i + 1 >= args.length) {
                    throw new UsageException("--" + name + " needs a value (" + f.kind().expected + ")");
                }
                value = args[++i];
            }
            values.put(name, check(f, value));
        }
        return new Values(values);
    }

    private static String check(Flag f, String raw) {
        String v = raw.trim();
        try {
            boolean ok = switch (f.kind()) {
                case POSITIVE_INT -> Integer.parseInt(v) >= 1;
                case NON_NEGATIVE_INT -> Integer.parseInt(v) >= 0;
                case LONG -> {
                    Long.parseLong(v);
                    yield true;
                }
                case POSITIVE_DOUBLE -> {
                    double d = Double.parseDouble(v);
                    yield Double.isFinite(d) && d > 0;
                }
                case FRACTION -> {
                    double d = Double.parseDouble(v);
                    yield d > 0 && d <= 1;
                }
                case PATH, STRING -> !v.isEmpty();
            };
            if (ok) {
                return v;
            }
        } catch (NumberFormatException e) {
            // fall through to the message below
        }
        throw new UsageException("--" + f.name() + ": expected " + f.kind().expected + ", got '" + raw + "'");
    }

    private String names() {
        List<String> n = new ArrayList<>();
        flags.keySet().forEach(k -> n.add("--" + k));
        n.add("--help");
        return String.join(", ", n);
    }

    /** The text {@code --help} prints. */
    public String usage() {
        StringBuilder b = new StringBuilder();
        b.append("Usage: ").append(program).append(" [options]");
        if (positional != null) {
            b.append(" [").append(flags.get(positional).metavar()).append(']');
        }
        b.append("\n\n").append(summary).append("\n\nOptions:\n");
        int width = 0;
        for (Flag f : flags.values()) {
            width = Math.max(width, f.name().length() + f.metavar().length() + 3);
        }
        for (Flag f : flags.values()) {
            String left = "--" + f.name() + " " + f.metavar();
            b.append(String.format(Locale.ROOT, "  %-" + width + "s  %s", left, f.help()));
            if (f.defaultValue() != null) {
                b.append(" (default: ").append(f.defaultValue()).append(')');
            }
            b.append('\n');
        }
        b.append(String.format(Locale.ROOT, "  %-" + width + "s  %s%n", "--help", "print this help and exit"));
        return b.toString();
    }

    /** Parsed, validated values. */
    public static final class Values {
        private final Map<String, String> values;

        Values(Map<String, String> values) {
            this.values = values;
        }

        public boolean has(String name) {
            return values.containsKey(name);
        }

        public String string(String name) {
            String v = values.get(name);
            if (v == null) {
                throw new IllegalStateException("--" + name + " has no value and no default");
            }
            return v;
        }

        public int integer(String name) {
            return Integer.parseInt(string(name));
        }

        public long longValue(String name) {
            return Long.parseLong(string(name));
        }

        public double number(String name) {
            return Double.parseDouble(string(name));
        }

        public Path path(String name) {
            return Path.of(string(name));
        }
    }

    /** A bad command line: the message names the flag and what was expected. */
    public static final class UsageException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        public UsageException(String message) {
            super(message);
        }
    }

    /** {@code --help} was given; the message is the usage text. */
    public static final class HelpRequested extends RuntimeException {
        private static final long serialVersionUID = 1L;

        HelpRequested(String usage) {
            super(usage, null, false, false);
        }
    }
}
