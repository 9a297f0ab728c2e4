// Host build of the kernels' per-element functions (scalar_ops.cuh, optim_ops.cuh, philox.cuh), driven by
// HostSemanticsTest: it writes requests on stdin, one per line, and compares each answer with the CPU backend.
// Values travel as raw storage bits in hex (float32: its 32-bit pattern; int32: two's complement; ...).
//   U k op x | L k x | B k op x y | C k x lo hi | V sk dk x | F k v   (f16/bf16: V and F only)
//   A k p g m v vmax|- lr beta1 beta2 eps wd decoupled maximize bc1 bc2sqrt   -> p m v vmax|-
//   S k p g buf|- lr momentum dampening wd nesterov maximize initBuffer      -> p buf|-
//   P c0 c1 c2 c3 k0 k1 (32-bit words)                                        -> four words
//   Q seed offset block (64-bit)                                              -> four words
// Build: nvcc -std=c++17 -O2 -Xcompiler -ffp-contract=off -I src/main/cuda -o host_semantics host_semantics.cu
#include <cstdio>
#include <cstring>
#include <iostream>
#include <sstream>
#include <string>

#include "optim_ops.cuh"
#include "philox.cuh"
#include "scalar_ops.cuh"

typedef unsigned long long u64;

template <typename T> static T from_bits(u64 b) {
    T v;
    if (sizeof(T) == 8) { u64 x = b; memcpy(&v, &x, 8); }
    else if (sizeof(T) == 4) { unsigned x = (unsigned)b; memcpy(&v, &x, 4); }
    else if (sizeof(T) == 2) { unsigned short x = (unsigned short)b; memcpy(&v, &x, 2); }
    else { unsigned char x = (unsigned char)b; memcpy(&v, &x, 1); }
    return v;
}

template <typename T> static u64 to_bits(T v) {
    if (sizeof(T) == 8) { u64 x; memcpy(&x, &v, 8); return x; }
    if (sizeof(T) == 4) { unsigned x; memcpy(&x, &v, 4); return x; }
    if (sizeof(T) == 2) { unsigned short x; memcpy(&x, &v, 2); return x; }
    unsigned char x; memcpy(&x, &v, 1); return x;
}

static double dbl(const std::string& hex) { return from_bits<double>(std::stoull(hex, nullptr, 16)); }
static u64 hexv(const std::string& hex) { return std::stoull(hex, nullptr, 16); }

template <typename K> static std::string pointwise(char cmd, std::istringstream& in) {
    typedef typename K::S T;
    std::string a, b, c;
    int op = 0;
    std::ostringstream out;
    out << std::hex;
    switch (cmd) {
        case 'U': in >> op >> a; out << to_bits(unary_op<K>(op, from_bits<T>(hexv(a)))); break;
        case 'L': in >> a; out << (from_bits<T>(hexv(a)) == 0 ? 1 : 0); break;
        case 'B':
            in >> op >> a >> b;
            if (op >= KILN_EQ) out << (unsigned)compare_op<K>(op, from_bits<T>(hexv(a)), from_bits<T>(hexv(b)));
            else out << to_bits(binary_op<K>(op, from_bits<T>(hexv(a)), from_bits<T>(hexv(b))));
            break;
        case 'C': in >> a >> b >> c; out << to_bits(clamp_op<K>(from_bits<T>(hexv(a)), dbl(b), dbl(c))); break;
        case 'F': in >> a; out << to_bits(from_double<K>(dbl(a))); break;
        default: out << "?";
    }
    return out.str();
}

template <typename SK, typename DK> static std::string convert_to(const std::string& x) {
    std::ostringstream out;
    out << std::hex << to_bits(convert<SK, DK>(from_bits<typename SK::S>(hexv(x))));
    return out.str();
}

template <typename SK> static std::string convert_from(const std::string& dk, const std::string& x) {
    if (dk == "f32") return convert_to<SK, F32>(x);
    if (dk == "f64") return convert_to<SK, F64>(x);
    if (dk == "i64") return convert_to<SK, I64>(x);
    if (dk == "i32") return convert_to<SK, I32>(x);
    if (dk == "u8") return convert_to<SK, U8>(x);
    if (dk == "f16") return convert_to<SK, F16>(x);
    if (dk == "bf16") return convert_to<SK, BF16>(x);
    return convert_to<SK, B8>(x);
}

template <typename T> static std::string optim(char cmd, std::istringstream& in) {
    std::ostringstream out;
    out << std::hex;
    std::string p, g, m, v, vmax, buf;
    std::string h[9];
    if (cmd == 'A') {
        in >> p >> g >> m >> v >> vmax;
        for (auto& s : h) in >> s;
        AdamConsts<T> c = adam_consts<T>(dbl(h[0]), dbl(h[1]), dbl(h[2]), dbl(h[3]), dbl(h[4]), std::stoi(h[5]),
                                         std::stoi(h[6]), dbl(h[7]), dbl(h[8]));
        T pv = from_bits<T>(hexv(p)), mv = from_bits<T>(hexv(m)), vv = from_bits<T>(hexv(v));
        T xv = vmax == "-" ? T(0) : from_bits<T>(hexv(vmax));
        adam_element<T>(c, pv, from_bits<T>(hexv(g)), mv, vv, vmax == "-" ? nullptr : &xv);
        out << to_bits(pv) << ' ' << to_bits(mv) << ' ' << to_bits(vv) << ' ';
        if (vmax == "-") out << '-'; else out << to_bits(xv);
    } else {
        in >> p >> g >> buf;
        for (int i = 0; i < 7; ++i) in >> h[i];
        SgdConsts<T> c = sgd_consts<T>(dbl(h[0]), dbl(h[1]), dbl(h[2]), dbl(h[3]), std::stoi(h[4]), std::stoi(h[5]),
                                       std::stoi(h[6]));
        T pv = from_bits<T>(hexv(p));
        T bv = buf == "-" ? T(0) : from_bits<T>(hexv(buf));
        sgd_element<T>(c, pv, from_bits<T>(hexv(g)), buf == "-" ? nullptr : &bv);
        out << to_bits(pv) << ' ';
        if (buf == "-") out << '-'; else out << to_bits(bv);
    }
    return out.str();
}

static std::string answer(const std::string& line) {
    std::istringstream in(line);
    char cmd;
    std::string k;
    in >> cmd;
    if (cmd == 'P' || cmd == 'Q') {
        Philox4 r;
        if (cmd == 'P') {
            std::string w[6];
            for (auto& s : w) in >> s;
            r = kiln_philox((unsigned)hexv(w[0]), (unsigned)hexv(w[1]), (unsigned)hexv(w[2]), (unsigned)hexv(w[3]),
                            (unsigned)hexv(w[4]), (unsigned)hexv(w[5]));
        } else {
            std::string seed, offset, block;
            in >> seed >> offset >> block;
            r = kiln_philox_block(hexv(seed), hexv(offset), hexv(block));
        }
        std::ostringstream out;
        out << std::hex << r.x[0] << ' ' << r.x[1] << ' ' << r.x[2] << ' ' << r.x[3];
        return out.str();
    }
    in >> k;
    if (cmd == 'A' || cmd == 'S') return k == "f32" ? optim<float>(cmd, in) : optim<double>(cmd, in);
    if (cmd == 'V') {
        std::string dk, x;
        in >> dk >> x;
        if (k == "f32") return convert_from<F32>(dk, x);
        if (k == "f64") return convert_from<F64>(dk, x);
        if (k == "i64") return convert_from<I64>(dk, x);
        if (k == "i32") return convert_from<I32>(dk, x);
        if (k == "u8") return convert_from<U8>(dk, x);
        if (k == "f16") return convert_from<F16>(dk, x);
        if (k == "bf16") return convert_from<BF16>(dk, x);
        return convert_from<B8>(dk, x);
    }
    if (cmd == 'F' && (k == "f16" || k == "bf16")) { // the 16-bit types have only copies and fills
        std::string v;
        in >> v;
        std::ostringstream out;
        out << std::hex << (k == "f16" ? to_bits(from_double<F16>(dbl(v))) : to_bits(from_double<BF16>(dbl(v))));
        return out.str();
    }
    if (k == "f32") return pointwise<F32>(cmd, in);
    if (k == "f64") return pointwise<F64>(cmd, in);
    if (k == "i64") return pointwise<I64>(cmd, in);
    if (k == "i32") return pointwise<I32>(cmd, in);
    if (k == "u8") return pointwise<U8>(cmd, in);
    return pointwise<B8>(cmd, in);
}

int main() {
    std::ios::sync_with_stdio(false);
    std::string line;
    while (std::getline(std::cin, line)) {
        if (!line.empty()) std::cout << answer(line) << '\n';
    }
    return 0;
}
