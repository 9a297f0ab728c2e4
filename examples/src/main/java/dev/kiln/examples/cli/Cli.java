package dev.kiln.examples.cli;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;

/**
 * How every example's {@code main} runs: parse and validate the flags, run the body, and end the JVM with an exit
 * code that says what happened — 0 done (or {@code --help}), 2 bad command line, 1 any failure, printed as one
 * clear message (the cause chain's messages, outermost first; the stack trace with {@code KILN_DEBUG=1}).
 *
 * <p>{@link #main} ends with {@link System#exit}: an example is a program, and a library thread (Spark's, a
 * loader's) must never keep the JVM alive after the work is done.
 */
public final class Cli {
    /** Exit codes. */
    public static final int OK = 0;
    public static final int FAILED = 1;
    public static final int USAGE = 2;

    /** The body of a program, given the validated flags. */
    @FunctionalInterface
    public interface Program {
        void run(Flags.Values flags) throws Exception;
    }

    private Cli() {
    }

    /** Runs the program and exits the JVM with its code. */
    public static void main(Flags flags, String[] args, Program body) {
        int code = run(flags, args, body, System.out, System.err);
        System.out.flush();
        System.err.flush();
        System.exit(code);
    }

    /** Runs the program and returns the exit code, printing help, usage errors and failures. */
    public static int run(Flags flags, String[] args, Program body, PrintStream out, PrintStream err) {
        Flags.Values values;
        try {
            values = flags.parse(args);
        } catch (Flags.HelpRequested help) {
            out.print(help.getMessage());
            return OK;
        } catch (Flags.UsageException e) {
            err.println(flags.program() + ": " + e.getMessage());
            err.println("Run " + flags.program() + " --help for the options.");
            return USAGE;
        }
        try {
            body.run(values);
            return OK;
        } catch (Flags.UsageException e) {
            err.println(flags.program() + ": " + e.getMessage());
            err.println("Run " + flags.program() + " --help for the options.");
            return USAGE;
        } catch (Exception | Error e) {
            err.println(flags.program() + " failed: " + describe(e));
            if (System.getenv("KILN_DEBUG") != null) {
                e.printStackTrace(err);
            } else {
                err.println("(set KILN_DEBUG=1 for the stack trace)");
            }
            return FAILED;
        }
    }

    /** The distinct messages of the cause chain, outermost first, joined by " <- caused by: ". */
    public static String describe(Throwable t) {
        List<String> parts = new ArrayList<>();
        for (Throwable c = t; c != null && parts.size() < 8; c = c.getCause() == c ? null : c.getCause()) {
            String m = c.getMessage();
            String part = m == null || m.isBlank() ? c.getClass().getSimpleName() : m.strip();
            // Wrappers (ExceptionInInitializerError, SparkException) often repeat the cause's text: keep it once.
            if (parts.stream().noneMatch(p -> p.contains(part))) {
                parts.add(part);
            }
        }
        return String.join("\n  caused by: ", parts);
    }
}
