package dev.kiln.data;

import java.math.BigDecimal;
import java.math.BigInteger;

/**
 * Row {@code i}'s value of each column of the interop fixtures in {@code src/test/resources/parquet}: the same
 * formulas as the writers' scripts ({@code GenSparkFixtures}, {@code src/test/node/gen_duckdb_fixtures.mjs}), as
 * the float64 each is read as and, for exact columns, the int64. Nulls: {@code n} where {@code i % 9 == 4},
 * {@code str} where {@code i % 7 == 3}.
 */
final class FixtureRows {
    static final int ROWS = 40;

    private FixtureRows() {
    }

    static boolean isNull(String column, int i) {
        return column.equals("n") && i % 9 == 4 || column.equals("str") && i % 7 == 3;
    }

    static BigInteger decF(int i) {
        return BigInteger.valueOf(i - 20).multiply(BigInteger.TEN.pow(20)).add(BigInteger.valueOf(i));
    }

    static long tsMicros(int i) {
        return 1_700_000_000_000_000L + i * 3_600_000_123L;
    }

    /** int64 view: integers, dates in days, timestamps in microseconds (nanoseconds floored). */
    static long exact(String column, int i) {
        return switch (column) {
            case "id" -> i;
            case "t" -> i * 5 - 100;
            case "s" -> i * 300 - 6000;
            case "n" -> i * 7919 - 150_000;
            case "l" -> i * 1_000_000_007L - 5_000_000_000L;
            case "ut" -> 255 - i;
            case "uu" -> 4_000_000_000L - i;
            case "ub" -> i * 1000L + 1;
            case "b" -> i % 3 == 0 ? 1 : 0;
            case "day" -> 19_000 + i;
            case "ts", "ts_tz", "ts_ntz", "ts96" -> tsMicros(i);
            case "ts_ms" -> (1_700_000_000_000L + i * 1_000_003L) * 1000;
            case "ts_ns" -> Math.floorDiv(1_700_000_000_000_000_000L + i * 7L, 1000);
            default -> throw new IllegalArgumentException("no int64 value for column " + column);
        };
    }

    /** float64 view (seconds for timestamps, unscaled / 10^scale for decimals). */
    static double value(String column, int i) {
        return switch (column) {
            case "f" -> i * 0.25f - 2f;
            case "d" -> i * 0.1 - 1;
            case "dec_i" -> new BigDecimal(BigInteger.valueOf(i * 1234L - 5000), 2).doubleValue();
            case "dec_l" -> new BigDecimal(BigInteger.valueOf(i * 123_456_789L - 7), 3).doubleValue();
            case "dec_f" -> new BigDecimal(decF(i), 4).doubleValue();
            case "ts", "ts_tz", "ts_ntz", "ts96" -> tsMicros(i) / 1e6;
            case "ts_ms" -> (1_700_000_000_000L + i * 1_000_003L) / 1e3;
            case "ts_ns" -> (1_700_000_000_000_000_000L + i * 7L) / 1e9;
            default -> exact(column, i);
        };
    }

    static String str(int i) {
        return "cat" + i % 5;
    }

    /** The elements of the array columns. */
    static double[] array(String column, int i) {
        return switch (column) {
            case "arr_i" -> new double[] {i, i + 1, i + 2};
            case "arr_d" -> new double[] {i / 2.0, -(i / 4.0)}; // -0.0 at row 0, as DuckDB computes it
            case "arr_f" -> new double[] {i, 2 * i, 3 * i, 4 * i};
            default -> throw new IllegalArgumentException(column);
        };
    }
}
