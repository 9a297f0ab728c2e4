package dev.kiln.backend.cpu;

import org.bytedeco.dnnl.dnnl_engine;
import org.bytedeco.dnnl.dnnl_memory;
import org.bytedeco.dnnl.dnnl_memory_desc;
import org.bytedeco.dnnl.dnnl_primitive;
import org.bytedeco.dnnl.dnnl_primitive_attr;
import org.bytedeco.dnnl.dnnl_primitive_desc;
import org.bytedeco.dnnl.global.dnnl;
import org.bytedeco.javacpp.Pointer;

/**
 * The small pieces of oneDNN's C API that {@link DnnlPrimitive} and {@link DnnlConv} share: the one CPU engine,
 * status checks, descriptors of plain float32 tensors, memories over raw addresses, reorders.
 *
 * <p>Only reached after {@link DnnlGemm#use()} said oneDNN loaded, so the engine is created on first use.
 */
final class Dnnl {
    private Dnnl() {
    }

    /** The CPU engine; oneDNN engines are thread-safe and live for the process. */
    static dnnl_engine engine() {
        return Engine.ENGINE;
    }

    private static final class Engine {
        static final dnnl_engine ENGINE = create();

        private static dnnl_engine create() {
            dnnl_engine e = new dnnl_engine();
            check(dnnl.dnnl_engine_create(e, dnnl.dnnl_cpu, 0), "dnnl_engine_create");
            return e;
        }
    }

    /** Throws naming the call when oneDNN returned an error status. */
    static void check(int status, String call) {
        if (status != dnnl.dnnl_success) {
            throw new IllegalStateException(call + " failed with oneDNN status " + status);
        }
    }

    /** A float32 descriptor of {@code dims} in layout {@code tag} ({@code dnnl_format_tag_any}: oneDNN picks). */
    static dnnl_memory_desc desc(long[] dims, int tag) {
        dnnl_memory_desc md = new dnnl_memory_desc();
        check(dnnl.dnnl_memory_desc_create_with_tag(md, dims.length, dims, dnnl.dnnl_f32, tag),
                "dnnl_memory_desc_create_with_tag");
        return md;
    }

    /** A memory over {@code address}, which must hold {@code md}'s bytes; oneDNN neither copies nor frees it. */
    static dnnl_memory memory(dnnl_memory_desc md, long address) {
        dnnl_memory m = new dnnl_memory();
        check(dnnl.dnnl_memory_create(m, md, engine(), new Address(address)), "dnnl_memory_create");
        return m;
    }

    /** A reorder primitive {@code from -> to}; one that would need a scratchpad throws (none is expected). */
    static dnnl_primitive reorder(dnnl_memory_desc from, dnnl_memory_desc to) {
        dnnl_primitive_attr attr = userScratchpad();
        dnnl_primitive_desc pd = new dnnl_primitive_desc();
        try {
            check(dnnl.dnnl_reorder_primitive_desc_create(pd, from, engine(), to, engine(), attr),
                    "dnnl_reorder_primitive_desc_create");
            long scratch = dnnl.dnnl_memory_desc_get_size(dnnl.dnnl_primitive_desc_query_md(pd,
                    dnnl.dnnl_query_scratchpad_md, 0));
            if (scratch != 0) {
                throw new IllegalStateException("oneDNN reorder wants a " + scratch + "-byte scratchpad");
            }
            dnnl_primitive p = new dnnl_primitive();
            check(dnnl.dnnl_primitive_create(p, pd), "dnnl_primitive_create (reorder)");
            return p;
        } finally {
            dnnl.dnnl_primitive_desc_destroy(pd);
            dnnl.dnnl_primitive_attr_destroy(attr);
        }
    }

    /** Attributes with {@code dnnl_scratchpad_mode_user}: the caller passes the scratchpad ({@link DnnlPrimitive}). */
    static dnnl_primitive_attr userScratchpad() {
        dnnl_primitive_attr attr = new dnnl_primitive_attr();
        check(dnnl.dnnl_primitive_attr_create(attr), "dnnl_primitive_attr_create");
        check(dnnl.dnnl_primitive_attr_set_scratchpad_mode(attr, dnnl.dnnl_scratchpad_mode_user),
                "dnnl_primitive_attr_set_scratchpad_mode");
        return attr;
    }

    /** A pointer to {@code address} without a deallocator, for the C API's {@code void *} handles. */
    private static final class Address extends Pointer {
        Address(long address) {
            this.address = address;
        }
    }
}
