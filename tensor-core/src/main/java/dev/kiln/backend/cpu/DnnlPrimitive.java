package dev.kiln.backend.cpu;

import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_FROM;
import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_SCRATCHPAD;
import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_TO;

import dev.kiln.tensor.DType;
import dev.kiln.memory.Storage;
import java.lang.ref.Cleaner;
import org.bytedeco.dnnl.dnnl_exec_arg_t;
import org.bytedeco.dnnl.dnnl_memory;
import org.bytedeco.dnnl.dnnl_memory_desc;
import org.bytedeco.dnnl.dnnl_primitive;
import org.bytedeco.dnnl.dnnl_primitive_desc;
import org.bytedeco.dnnl.dnnl_stream;
import org.bytedeco.dnnl.global.dnnl;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.PointerPointer;

/**
 * One created oneDNN primitive with its arguments, run on raw host addresses in the caller's plain layouts.
 *
 * <p>Each argument has the plain (user) memory descriptor the caller's buffer is in and the one the implementation
 * chose; where they differ the argument is reordered into (inputs) or out of (outputs) a temporary buffer around the
 * call. Temporaries and the scratchpad come from one Kiln tensor per call, never from oneDNN's own allocator: the
 * primitive is created with {@code dnnl_scratchpad_mode_user}, which oneDNN documents as safe to execute from
 * several threads at once as long as the scratchpads differ. Each thread has its own stream ({@link Local}).
 *
 * <p>Lifetime: {@link #close()} destroys the native objects; the caller (the cache in {@link DnnlConv}) guarantees
 * no thread is executing it then.
 */
final class DnnlPrimitive implements AutoCloseable {
    private static final Cleaner CLEANER = Cleaner.create();
    private static final long ALIGN = 64;

    /** One argument: its {@code DNNL_ARG_*} id, plain and chosen descriptors, and the reorder between them if any. */
    private record Arg(int id, dnnl_memory_desc user, dnnl_memory_desc impl, dnnl_primitive reorder, boolean output,
                       long tempBytes) {
    }

    private final dnnl_primitive_desc pd;
    private final dnnl_primitive prim;
    private final Arg[] args;
    private final dnnl_memory_desc scratchMd;
    private final long scratchBytes;
    private final long arenaBytes;
    /** The implementation oneDNN picked (e.g. {@code brg_conv_fwd:avx512_core}), for diagnostics. */
    final String impl;

    /**
     * Takes ownership of {@code pd} and of the {@code users} descriptors, also when it throws (then it destroys them).
     * {@code ids} ({@code DNNL_ARG_*}), {@code users} (the caller's layouts) and {@code outputs} describe the
     * arguments in the order {@link #execute} receives their addresses.
     */
    DnnlPrimitive(dnnl_primitive_desc pd, int[] ids, dnnl_memory_desc[] users, boolean[] outputs) {
        this.pd = pd;
        this.prim = new dnnl_primitive();
        this.args = new Arg[ids.length];
        long arena = 0;
        try {
            Dnnl.check(dnnl.dnnl_primitive_create(prim, pd), "dnnl_primitive_create");
            for (int i = 0; i < ids.length; i++) {
                dnnl_memory_desc impl = dnnl.dnnl_primitive_desc_query_md(pd, dnnl.dnnl_query_exec_arg_md, ids[i]);
                dnnl_primitive reorder = null;
                long temp = 0;
                if (dnnl.dnnl_memory_desc_equal(users[i], impl) == 0) {
                    reorder = outputs[i] ? Dnnl.reorder(impl, users[i]) : Dnnl.reorder(users[i], impl);
                    temp = align(dnnl.dnnl_memory_desc_get_size(impl));
                    arena += temp;
                }
                args[i] = new Arg(ids[i], users[i], impl, reorder, outputs[i], temp);
            }
        } catch (RuntimeException e) {
            releasePartial(users); // what this constructor owns: nothing may leak when oneDNN refuses a step
            throw e;
        }
        this.scratchMd = dnnl.dnnl_primitive_desc_query_md(pd, dnnl.dnnl_query_scratchpad_md, 0);
        this.scratchBytes = align(dnnl.dnnl_memory_desc_get_size(scratchMd));
        this.arenaBytes = arena + scratchBytes;
        this.impl = implInfo(pd);
    }

    /** True when some argument is reordered (the implementation chose a blocked layout). */
    boolean reorders() {
        for (Arg a : args) {
            if (a.reorder != null) {
                return true;
            }
        }
        return false;
    }

    /** Runs the primitive on {@code addresses} (one per argument, in constructor order; 0 skips the argument). */
    void execute(long... addresses) {
        Local local = Local.get();
        // Temporaries and scratchpad in one Arrow buffer from the task's allocator: accounted like every other buffer,
        // and recycled by HostMemoryPool (same sizes every step), so large blocks do not page-fault afresh each call.
        Storage arena = arenaBytes == 0 ? null
                : Storage.allocate(CpuMemory.scratchAllocator(), arenaBytes + ALIGN, false);
        dnnl_memory[] user = new dnnl_memory[args.length];
        dnnl_memory[] impl = new dnnl_memory[args.length];
        dnnl_memory scratch = null;
        dnnl_exec_arg_t list = local.argList(args.length + 1);
        try {
            long base = arena == null ? 0 : (arena.address() + ALIGN - 1) / ALIGN * ALIGN;
            long temp = base + scratchBytes;
            int n = 0;
            for (int i = 0; i < args.length; i++) {
                Arg a = args[i];
                if (addresses[i] == 0) {
                    continue;
                }
                user[i] = Dnnl.memory(a.user, addresses[i]);
                impl[i] = user[i];
                if (a.reorder != null) {
                    impl[i] = Dnnl.memory(a.impl, temp);
                    temp += a.tempBytes;
                    if (!a.output) {
                        local.run(a.reorder, user[i], impl[i]);
                    }
                }
                list.position(n++).arg(a.id).memory(impl[i]);
            }
            if (scratchBytes > 0) {
                scratch = Dnnl.memory(scratchMd, base);
                list.position(n++).arg(DNNL_ARG_SCRATCHPAD).memory(scratch);
            }
            Dnnl.check(dnnl.dnnl_primitive_execute(prim, local.stream, n, list.position(0)), "dnnl_primitive_execute");
            for (int i = 0; i < args.length; i++) {
                if (args[i].output && args[i].reorder != null && user[i] != null) {
                    local.run(args[i].reorder, impl[i], user[i]);
                }
            }
            Dnnl.check(dnnl.dnnl_stream_wait(local.stream), "dnnl_stream_wait");
        } finally {
            for (int i = 0; i < args.length; i++) {
                if (impl[i] != null && impl[i] != user[i]) {
                    dnnl.dnnl_memory_destroy(impl[i]);
                }
                if (user[i] != null) {
                    dnnl.dnnl_memory_destroy(user[i]);
                }
            }
            if (scratch != null) {
                dnnl.dnnl_memory_destroy(scratch);
            }
            if (arena != null) {
                arena.release();
            }
            OpenMpSpin.regionEnded();
        }
    }

    /** Destroys what a constructor that threw had taken or made: reorders so far, the primitive, descriptors, pd. */
    private void releasePartial(dnnl_memory_desc[] users) {
        for (Arg a : args) {
            if (a != null && a.reorder != null) {
                dnnl.dnnl_primitive_destroy(a.reorder);
            }
        }
        if (!prim.isNull()) {
            dnnl.dnnl_primitive_destroy(prim);
        }
        for (dnnl_memory_desc md : users) {
            dnnl.dnnl_memory_desc_destroy(md);
        }
        dnnl.dnnl_primitive_desc_destroy(pd);
    }

    @Override
    public void close() {
        for (Arg a : args) {
            if (a.reorder != null) {
                dnnl.dnnl_primitive_destroy(a.reorder);
            }
            dnnl.dnnl_memory_desc_destroy(a.user);
        }
        dnnl.dnnl_primitive_destroy(prim);
        dnnl.dnnl_primitive_desc_destroy(pd); // also frees the descriptors queried from it
    }

    private static long align(long bytes) {
        return (bytes + ALIGN - 1) / ALIGN * ALIGN;
    }

    private static String implInfo(dnnl_primitive_desc pd) {
        PointerPointer<BytePointer> out = new PointerPointer<>(1);
        try {
            if (dnnl.dnnl_primitive_desc_query(pd, dnnl.dnnl_query_impl_info_str, 0, out) != dnnl.dnnl_success) {
                return "?";
            }
            BytePointer s = out.get(BytePointer.class, 0);
            return s == null || s.isNull() ? "?" : s.getString();
        } finally {
            out.close();
        }
    }

    /** A thread's stream and argument lists; when the thread ends, the Cleaner destroys the stream. */
    private static final class Local {
        private static final ThreadLocal<Local> LOCAL = ThreadLocal.withInitial(Local::new);
        private final dnnl_stream stream = new dnnl_stream();
        private dnnl_exec_arg_t list = new dnnl_exec_arg_t(8);
        private final dnnl_exec_arg_t pair = new dnnl_exec_arg_t(2);

        private Local() {
            Dnnl.check(dnnl.dnnl_stream_create(stream, Dnnl.engine(), dnnl.dnnl_stream_default_flags),
                    "dnnl_stream_create");
            dnnl_stream s = stream;
            CLEANER.register(this, () -> dnnl.dnnl_stream_destroy(s)); // JavaCPP frees the argument lists
        }

        static Local get() {
            return LOCAL.get();
        }

        dnnl_exec_arg_t argList(int n) {
            if (list.capacity() < n) {
                list = new dnnl_exec_arg_t(n); // the old one is freed by JavaCPP's own deallocator
            }
            return list;
        }

        void run(dnnl_primitive reorder, dnnl_memory from, dnnl_memory to) {
            pair.position(0).arg(DNNL_ARG_FROM).memory(from);
            pair.position(1).arg(DNNL_ARG_TO).memory(to);
            Dnnl.check(dnnl.dnnl_primitive_execute(reorder, stream, 2, pair.position(0)), "reorder execute");
        }
    }
}
