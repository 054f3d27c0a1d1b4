// Which micro-kernels run: one configuration per instruction set, chosen once at start-up.
//
// The micro-kernels are one source compiled into one module per instruction set
// (`MicroKernels/`); this file reads the CPU's features once (cpuid + xgetbv on x86-64) and
// picks the best table the CPU can execute, unless `FACEKIT_KERNELS` names another. Weight
// packing and every op take the configuration, so tile sizes and entry points always agree.
#if canImport(Darwin)
import Darwin
#elseif canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import CFaceKitCPU
import FaceKitKernelABI
import FaceKitKernelsAVX2
import FaceKitKernelsAVX512
import FaceKitKernelsBaseline

/// A set of micro-kernels for one instruction set, with the tile sizes weights are packed for.
///
/// FaceKit chooses ``current`` once per process: the best variant the CPU supports, or the one
/// the environment variable `FACEKIT_KERNELS` names (`baseline`, `avx2`, `avx512`; `neon` on
/// arm64). Packed weights remember the configuration they were packed for, and every op on
/// them runs it.
public struct KernelConfiguration: Sendable, Hashable, CustomStringConvertible {
    /// The variant's name: `baseline` (x86-64 SSE2), `avx2` (AVX2 + FMA), `avx512`
    /// (AVX-512F, 16-lane GEMM tiles) or `neon` (arm64); test-only compositions carry a suffix.
    public let name: String
    let table: MicroKernelTable

    init(_ table: MicroKernelTable) {
        self.name = table.isa
        self.table = table
    }

    public var description: String { name }
    public static func == (a: Self, b: Self) -> Bool { a.name == b.name }
    public func hash(into hasher: inout Hasher) { hasher.combine(name) }

    /// What the CPU offers, as FaceKit reads it (e.g. `x86-64 avx2 fma`).
    public static let cpuFeatures: String = {
        #if arch(x86_64)
        let f = facekit_cpu_features()
        var parts = ["x86-64"]
        if f & FACEKIT_CPU_AVX2_FMA != 0 { parts.append("avx2 fma") }
        if f & FACEKIT_CPU_AVX512 != 0 { parts.append("avx512f/vl/bw/dq") }
        return parts.joined(separator: " ")
        #elseif arch(arm64)
        return "arm64 neon fma"
        #else
        return "generic"
        #endif
    }()

    /// Every variant this CPU can execute, slowest first.
    public static let available: [KernelConfiguration] = {
        var list = [KernelConfiguration(FaceKitKernelsBaseline.microKernelTable(wideGEMM: false))]
        #if arch(x86_64)
        let f = facekit_cpu_features()
        if f & FACEKIT_CPU_AVX2_FMA != 0 { list.append(KernelConfiguration(FaceKitKernelsAVX2.microKernelTable(wideGEMM: false))) }
        if f & FACEKIT_CPU_AVX512 != 0 { list.append(KernelConfiguration(FaceKitKernelsAVX512.microKernelTable(wideGEMM: true))) }
        #endif
        return list
    }()

    /// The variants tests run: every available one, plus the AVX-512 layout (16-lane GEMM,
    /// 32-channel panels) built from the AVX2 module when the CPU has AVX2 but not AVX-512, so
    /// that layout's logic is checked on this CPU too.
    public static let testVariants: [KernelConfiguration] = {
        var list = available
        #if arch(x86_64)
        if !list.contains(where: { $0.name == "avx512" }) && list.contains(where: { $0.name == "avx2" }) {
            list.append(KernelConfiguration(FaceKitKernelsAVX2.microKernelTable(wideGEMM: true)))
        }
        #endif
        return list
    }()

    /// The fastest variant this CPU can execute.
    public static var best: KernelConfiguration { available[available.count - 1] }

    /// The available variant called `name` (`baseline` also names `neon` on arm64), or nil when
    /// the name is unknown or the CPU cannot execute it.
    public static func named(_ name: String) -> KernelConfiguration? {
        let wanted = name.lowercased()
        if let hit = testVariants.first(where: { $0.name == wanted }) { return hit }
        #if arch(arm64)
        if wanted == "baseline" { return available[0] }
        #endif
        return nil
    }

    /// The configuration every op uses unless told otherwise: `FACEKIT_KERNELS` when it names a
    /// variant this CPU can execute, else ``best``. An unusable `FACEKIT_KERNELS` is reported
    /// once on standard error and ignored (a forced variant the CPU lacks would crash).
    public static let current: KernelConfiguration = {
        guard let raw = getenv("FACEKIT_KERNELS"), case let value = String(cString: raw), !value.isEmpty,
              value.lowercased() != "auto" else { return best }
        if let chosen = named(value) { return chosen }
        let names = available.map(\.name).joined(separator: ", ")
        let message = "FaceKit: FACEKIT_KERNELS=\(value) is not a kernel variant this CPU can run (\(names)); using \(best.name)\n"
        _ = message.withCString { write(2, $0, strlen($0)) }
        return best
    }()
}

extension Activation {
    /// The activation in the micro-kernels' raw form.
    var epilogue: Epilogue {
        switch self {
        case .identity: return Epilogue(kind: .identity)
        case .relu: return Epilogue(kind: .relu)
        case let .prelu(slopes): return Epilogue(kind: .prelu, slopes: UnsafePointer(slopes.data))
        case .sigmoid: return Epilogue(kind: .sigmoid)
        }
    }
}
