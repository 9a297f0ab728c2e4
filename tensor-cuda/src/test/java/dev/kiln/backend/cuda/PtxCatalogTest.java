package dev.kiln.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.backend.BinaryOp;
import dev.kiln.backend.ReduceKernels;
import dev.kiln.backend.UnaryOp;
import dev.kiln.backend.cuda.KernelNames.Family;
import dev.kiln.backend.cuda.KernelNames.Kernel;
import dev.kiln.tensor.DType;
import dev.kiln.testing.KilnTest;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** The shipped PTX and {@link KernelNames} describe the same kernels; runs everywhere (no nvcc, no GPU). */
class PtxCatalogTest extends KilnTest {
    private static final Path CUDA_SOURCES = Path.of("src/main/cuda");

    @Test
    void everyCatalogKernelIsInThePtxAndViceVersaWithItsParameterCount() {
        List<String> problems = PtxFiles.problems(KernelNames.catalog(), PtxFiles.shippedEntries());
        assertTrue(problems.isEmpty(), String.join("\n", problems));
        assertEquals(167, KernelNames.catalog().size()); // 137, then 30 float16/bfloat16 copies and fills
    }

    @Test
    void theCheckerReportsAMissingAnExtraAndAMiscountedKernel() {
        Map<String, Kernel> catalog = new LinkedHashMap<>(KernelNames.catalog());
        catalog.remove("kiln_adam_f32");
        catalog.put("kiln_unary_f32", new Kernel("kiln_unary_f32", Family.POINTWISE, 5));
        catalog.put("kiln_frobnicate_f32", new Kernel("kiln_frobnicate_f32", Family.POINTWISE, 3));
        catalog.put("kiln_gemm_f64", new Kernel("kiln_gemm_f64", Family.REDUCE, 14));
        List<String> problems = PtxFiles.problems(catalog, PtxFiles.shippedEntries());
        assertEquals(List.of(
                "kiln_unary_f32 takes 6 parameters in the PTX, KernelNames says 5",
                "kiln_gemm_f64 is listed in KernelNames but is not an entry of reduce.ptx",
                "kiln_frobnicate_f32 is listed in KernelNames but is not an entry of pointwise.ptx",
                "kiln_adam_f32 is an entry of optim.ptx but is not listed in KernelNames",
                "kiln_gemm_f64 is an entry of gemm.ptx but is not listed in KernelNames for that family"), problems);
    }

    @Test
    void layoutsArePassedByValueAs136BytesAligned8() {
        Pattern layout = Pattern.compile("\\.param \\.align (\\d+) \\.b8 \\w+\\[(\\d+)]");
        int layouts = 0;
        for (Map<String, List<String>> entries : PtxFiles.shippedEntries().values()) {
            for (Map.Entry<String, List<String>> e : entries.entrySet()) {
                for (String p : e.getValue()) {
                    Matcher m = layout.matcher(p);
                    if (m.matches()) {
                        layouts++;
                        assertEquals("8", m.group(1), e.getKey() + ": " + p);
                        assertEquals(String.valueOf(KernelNames.LAYOUT_BYTES), m.group(2), e.getKey() + ": " + p);
                    } else {
                        assertTrue(p.matches("\\.param \\.(u64|u32|f64|f32) \\w+"), e.getKey() + ": " + p);
                    }
                }
            }
        }
        assertEquals(285, layouts, "Layout parameters in all modules");
        assertEquals(List.of(".param .u32 kiln_unary_f32_param_0", ".param .u64 kiln_unary_f32_param_1",
                ".param .u64 kiln_unary_f32_param_2", ".param .align 8 .b8 kiln_unary_f32_param_3[136]",
                ".param .u64 kiln_unary_f32_param_4", ".param .align 8 .b8 kiln_unary_f32_param_5[136]"),
                PtxFiles.entries(PtxFiles.shipped(Family.POINTWISE)).get("kiln_unary_f32"));
    }

    @Test
    void everyModuleTargetsComputeCapability75() {
        for (Family f : Family.values()) {
            String ptx = PtxFiles.shipped(f);
            assertTrue(ptx.contains("\n.target sm_75\n"), f + " targets sm_75");
            assertTrue(ptx.contains("\n.address_size 64\n"), f + " is 64-bit");
            assertTrue(ptx.contains("\n.version 9.0\n"), f + " PTX ISA 9.0 (see src/main/cuda/README.md)");
        }
    }

    /**
     * Bit-identity with the CPU backend needs IEEE rounding outside gemm: fast math would bring flush-to-zero
     * arithmetic and approximate division/sqrt. The only approximate instructions allowed are the two seeds that
     * libdevice's accurate double functions (tanh, erf, pow, log) refine: {@code rcp.approx.ftz.f64} and
     * {@code ex2.approx.ftz.f32}. The optimizer steps must also have no fused multiply-add (libdevice's exp, log, ...
     * use fma internally, so only optim.ptx, which calls none of them, can be held to that).
     */
    @Test
    void nonGemmKernelsRoundLikeTheCpu() {
        Pattern instruction = Pattern.compile("^\\s*(?:@!?%p\\d+\\s+)?([a-z0-9.]+)\\s");
        for (Family f : Family.values()) {
            if (f == Family.GEMM) {
                continue;
            }
            for (String line : PtxFiles.shipped(f).split("\n")) {
                Matcher m = instruction.matcher(line);
                if (m.find() && (m.group(1).contains(".ftz") || m.group(1).contains(".approx")
                        || m.group(1).contains(".full"))) {
                    assertTrue(m.group(1).equals("rcp.approx.ftz.f64") || m.group(1).equals("ex2.approx.ftz.f32"),
                            f + ": " + line.trim());
                }
            }
        }
        String optim = PtxFiles.shipped(Family.OPTIM);
        assertFalse(optim.contains("fma."), "optim.ptx contracts a*b + c into an fma: build with --fmad=false");
        assertFalse(optim.contains(".approx"), "optim.ptx uses an approximate instruction");
        assertTrue(optim.contains("sqrt.rn.f32") && optim.contains("div.rn.f32"), "IEEE sqrt and division");
    }

    @Test
    void opCodesInKilnCuhAreTheJavaOrdinals() throws IOException {
        String header = Files.readString(CUDA_SOURCES.resolve("kiln.cuh"));
        assertEquals(names(UnaryOp.values()), cEnum(header, "KilnUnaryOp"));
        assertEquals(names(BinaryOp.values()), cEnum(header, "KilnBinaryOp"));
        assertEquals(names(ReduceKernels.Op.values()), cEnum(header, "KilnReduceOp"));
        assertEquals(10, KernelNames.opCode(UnaryOp.RELU));
        assertEquals(7, KernelNames.opCode(BinaryOp.THRESHOLD_BACKWARD));
        assertEquals(4, KernelNames.opCode(ReduceKernels.Op.ARGMAX));
    }

    @Test
    void namesFollowTheDtypeSuffixRules() {
        assertEquals("kiln_binary_u8", KernelNames.binary(DType.BOOL));
        assertEquals("kiln_fill_b8", KernelNames.fill(DType.BOOL));
        assertEquals("kiln_copy_f32_b8", KernelNames.copy(DType.FLOAT32, DType.BOOL));
        assertEquals("kiln_copy_u8_i64", KernelNames.copy(DType.UINT8, DType.INT64));
        assertEquals("kiln_scatter_b8", KernelNames.scatter(DType.BOOL));
        assertEquals("kiln_softmax_last_f64", KernelNames.softmaxLast(DType.FLOAT64));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> KernelNames.im2col(DType.INT64));
        assertEquals("No CUDA kernel kiln_im2col for torch.int64: only torch.float32 and torch.float64",
                e.getMessage());
        for (String name : KernelNames.catalog().keySet()) {
            assertTrue(name.matches("kiln_[a-z0-9_]+"), name);
        }
        assertEquals(2, KernelNames.philoxBlocks(3, KernelNames.UNIFORM_F64_PER_BLOCK));
        assertEquals(0, KernelNames.philoxBlocks(0, KernelNames.NORMAL_F32_PER_BLOCK));
    }

    private static List<String> names(Enum<?>[] values) {
        return Arrays.stream(values).map(Enum::name).toList();
    }

    /** The enumerators of {@code enum <name> { KILN_X = 0, ... }}, checking each value is its position. */
    private static List<String> cEnum(String header, String name) {
        int start = header.indexOf("enum " + name + " {");
        assertTrue(start >= 0, "kiln.cuh has no enum " + name);
        String body = header.substring(header.indexOf('{', start) + 1, header.indexOf('}', start));
        List<String> out = new ArrayList<>();
        Matcher m = Pattern.compile("KILN_(\\w+)\\s*=\\s*(\\d+)").matcher(body);
        while (m.find()) {
            assertEquals(out.size(), Integer.parseInt(m.group(2)), name + "." + m.group(1));
            out.add(m.group(1));
        }
        return out;
    }
}
