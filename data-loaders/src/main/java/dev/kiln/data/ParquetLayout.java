package dev.kiln.data;

import java.util.ArrayList;
import java.util.List;

/**
 * The dataset's columns by role, and the names of the batch fields they make.
 *
 * @param features one LIST column, k SCALAR columns, one BYTES column, or none
 * @param categories CATEGORY columns, or none
 * @param label the LABEL column, or null
 */
record ParquetLayout(List<ParquetColumn> features, List<ParquetColumn> categories, ParquetColumn label) {
    List<ParquetColumn> all() {
        List<ParquetColumn> out = new ArrayList<>(features);
        out.addAll(categories);
        if (label != null) {
            out.add(label);
        }
        return out;
    }

    /** The batch's field names, in order. */
    List<String> fieldNames() {
        List<String> out = new ArrayList<>(3);
        if (!features.isEmpty()) {
            out.add("features");
        }
        if (!categories.isEmpty()) {
            out.add("categories");
        }
        if (label != null) {
            out.add("label");
        }
        return out;
    }
}
