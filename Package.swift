// swift-tools-version: 6.2
// FaceKit: pure-Swift face detection, alignment, embedding and matching.
//
// Module layers (lower never imports higher):
//   CPNG                      thin system-library module (libpng headers)
//   CFaceKitCodecs            libjpeg decoding/encoding in C (setjmp stays in C), libwebp via dlopen
//   CFaceKitCPU               cpuid/xgetbv: which instruction sets this CPU and OS allow
//   FaceKitKernelABI          argument records and the table of micro-kernel entry points
//   FaceKitKernels{Baseline,AVX2,AVX512}
//                             one micro-kernel source (Sources/FaceKitTensor/MicroKernels/Source)
//                             compiled per instruction set; chosen once at start-up
//   FaceKitTensor             Tensor, ops and references (knows nothing of images or faces)
//   FaceKitSupport            platform shims, SHA-256, atomic file writes, file lock, JSON writer
//                             (`package` API only: for FaceKit's own modules, tool and bench)
//   FaceKitImage              decoding, EXIF, resize, warp, drawing, PNG encoding
//   FaceKitWeights            TF.js reader, safetensors, manifest, resolution, download
//   FaceKit                   the public face: detector, aligners, embedder, matcher, gallery
//   facekit (CLI), bench      executables over the library
import PackageDescription

/// Code-generation features for one micro-kernel module, given to the Clang importer, whose
/// target options Swift's code generator uses. Unlike `-target-cpu`, a feature another
/// architecture does not know is ignored with a warning, so an arm64 build still succeeds
/// (its micro-kernel modules are then plain NEON builds). These are the only unsafe flags.
func cpuFeatures(_ features: [String]) -> [SwiftSetting] {
    [.unsafeFlags(features.flatMap { ["-Xcc", "-Xclang", "-Xcc", "-target-feature", "-Xcc", "-Xclang", "-Xcc", "+" + $0] })]
}
let microKernels = "Sources/FaceKitTensor/MicroKernels"

let package = Package(
    name: "FaceKit",
    platforms: [.macOS(.v13), .iOS(.v16)],
    products: [
        .library(name: "FaceKit", targets: ["FaceKit"]),
        .library(name: "FaceKitPostgres", targets: ["FaceKitPostgres"]),
        .executable(name: "facekit", targets: ["facekit"]),
        .executable(name: "bench", targets: ["bench"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-crypto", "3.0.0"..<"5.0.0"),
        .package(url: "https://github.com/apple/swift-atomics", from: "1.2.0"),
        .package(url: "https://github.com/swiftlang/swift-docc-plugin", from: "1.4.0"),
        // The HTTP service (FaceKitServer, `facekit serve`, #13).
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.0.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.0.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.4.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.0.0"),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.21.0"),
    ],
    targets: [
        // libpng through its headers and library on the default search paths (no pkg-config).
        .systemLibrary(name: "CPNG", path: "Sources/CPNG", providers: [.apt(["libpng-dev"]), .brew(["libpng"])]),
        // libjpeg (jpeglib.h, linked) with its setjmp/longjmp error handling kept in C; libwebp
        // loaded at run time with dlopen (no headers or link flag needed to build).
        .target(
            name: "CFaceKitCodecs",
            linkerSettings: [.linkedLibrary("jpeg"), .linkedLibrary("dl", .when(platforms: [.linux]))]),
        .target(name: "CFaceKitCPU"),
        .target(name: "FaceKitKernelABI", path: "\(microKernels)/ABI"),
        .target(name: "FaceKitKernelsBaseline", dependencies: ["FaceKitKernelABI"], path: "\(microKernels)/Baseline"),
        .target(
            name: "FaceKitKernelsAVX2", dependencies: ["FaceKitKernelABI"], path: "\(microKernels)/AVX2",
            swiftSettings: [.define("FACEKIT_FMA"), .define("FACEKIT_ISA_AVX2")] + cpuFeatures(["avx2", "fma", "f16c"])),
        .target(
            name: "FaceKitKernelsAVX512", dependencies: ["FaceKitKernelABI"], path: "\(microKernels)/AVX512",
            swiftSettings: [.define("FACEKIT_FMA"), .define("FACEKIT_ISA_AVX512")]
                + cpuFeatures(["avx2", "fma", "f16c", "avx512f", "avx512vl", "avx512bw", "avx512dq"])),
        .target(
            name: "FaceKitTensor",
            dependencies: [
                "CFaceKitCPU", "FaceKitKernelABI", "FaceKitKernelsBaseline", "FaceKitKernelsAVX2", "FaceKitKernelsAVX512",
                .product(name: "Atomics", package: "swift-atomics"),
            ],
            exclude: ["MicroKernels"]),
        .target(name: "FaceKitSupport", dependencies: [.product(name: "Crypto", package: "swift-crypto")]),
        .target(name: "FaceKitImage", dependencies: ["CFaceKitCodecs", "CPNG", "FaceKitSupport"]),
        .target(name: "FaceKitWeights", dependencies: ["FaceKitSupport"]),
        .target(
            name: "FaceKit",
            dependencies: ["FaceKitTensor", "FaceKitImage", "FaceKitWeights", "FaceKitSupport"]),
        // The HTTP service over FaceKit and any FaceIndex (Hummingbird 2; `facekit serve`).
        .target(
            name: "FaceKitServer",
            dependencies: [
                "FaceKit", "FaceKitSupport",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            resources: [.copy("openapi.json")]),
        // The PostgreSQL + pgvector index, a product of its own so that only its users build PostgresNIO.
        .target(name: "FaceKitPostgres", dependencies: ["FaceKit", .product(name: "PostgresNIO", package: "postgres-nio")]),
        .executableTarget(
            name: "facekit",
            dependencies: [
                "FaceKit", "FaceKitSupport", "FaceKitServer", "FaceKitPostgres",
                .product(name: "ArgumentParser", package: "swift-argument-parser"), .product(name: "Logging", package: "swift-log"),
            ]),
        .executableTarget(
            name: "bench", dependencies: ["FaceKit", "FaceKitTensor", "FaceKitSupport", "FaceKitPostgres"], path: "Benchmarks/bench"),
        .target(
            name: "FaceKitTestSupport",
            dependencies: ["FaceKit", .product(name: "Crypto", package: "swift-crypto")],
            path: "Tests/FaceKitTestSupport"),
        .testTarget(name: "FaceKitTensorTests", dependencies: ["FaceKitTensor", "FaceKitTestSupport"]),
        .testTarget(name: "FaceKitImageTests", dependencies: ["FaceKitImage", "FaceKitTestSupport", "CFaceKitCodecs"]),
        .testTarget(name: "FaceKitWeightsTests", dependencies: ["FaceKitWeights", "FaceKitSupport", "FaceKitTestSupport"]),
        .testTarget(name: "FaceKitTests", dependencies: ["FaceKit", "FaceKitTestSupport"]),
        .testTarget(name: "FaceKitCLITests", dependencies: ["facekit", "FaceKit", "FaceKitTestSupport"]),
        .testTarget(
            name: "FaceKitServerTests",
            dependencies: [
                // Plain sockets talk to the server (RawHTTP.swift): no HTTP client package, so no
                // TLS library to build.
                "FaceKitServer", "FaceKit", "FaceKitTestSupport",
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ]),
        .testTarget(
            name: "FaceKitPostgresTests",
            dependencies: ["FaceKitPostgres", "FaceKitTestSupport", .product(name: "PostgresNIO", package: "postgres-nio")]),
    ]
)

// libFuzzer targets (Fuzz/README.md): declared only when FACEKIT_FUZZ is set, which `Fuzz/run`
// does, in .build-fuzz. FaceKit's own Swift targets are then compiled with libFuzzer's coverage
// and AddressSanitizer (-sanitize=fuzzer,address), except the micro-kernel modules (arithmetic,
// no parsing: instrumented, the networks behind the HTTP target ran some 20 times slower), and
// the fuzz executables link libFuzzer and the sanitizer runtime; dependencies (swift-crypto,
// SwiftNIO, Hummingbird) are built plain. An ordinary build, a consumer's and `swift test`
// never see any of it.
if Context.environment["FACEKIT_FUZZ"] != nil {
    let fuzzFlags = ["-sanitize=fuzzer,address"]
    // Not the C targets (codecs, cpuid): they stay plain, as the system's libraries are.
    let plain = { (name: String) in name.hasPrefix("FaceKitKernels") || name.hasPrefix("C") }
    for target in package.targets where [.regular, .executable].contains(target.type) && !plain(target.name) {
        target.swiftSettings = (target.swiftSettings ?? []) + [.unsafeFlags(fuzzFlags)]
    }
    let fuzzTargets: [(String, [Target.Dependency])] = [
        ("Image", ["FaceKitImage"]), ("EXIF", ["FaceKitImage"]), ("TFJS", ["FaceKitWeights"]),
        ("SafeTensors", ["FaceKitWeights"]), ("Gallery", ["FaceKit", "FaceKitSupport"]), ("Pairs", ["FaceKit"]),
        // The HTTP service's middleware and routes in process (builds Hummingbird and SwiftNIO too).
        ("HTTP", ["FaceKitServer", .product(name: "Hummingbird", package: "hummingbird")]),
    ]
    package.targets.append(.target(name: "FuzzDriver", path: "Fuzz/Targets/FuzzDriver", swiftSettings: [.unsafeFlags(fuzzFlags)]))
    for (name, dependencies) in fuzzTargets {
        package.targets.append(.executableTarget(
            name: "Fuzz\(name)", dependencies: dependencies + ["FuzzDriver"], path: "Fuzz/Targets/Fuzz\(name)",
            swiftSettings: [.unsafeFlags(fuzzFlags)], linkerSettings: [.unsafeFlags(fuzzFlags)]))
    }
}

// The library and its own tests only, without the HTTP service, the PostgreSQL index, the tools
// and their dependencies (Hummingbird, SwiftNIO, PostgresNIO, ArgumentParser): set by
// `.ci/sanitizers` for the AddressSanitizer and ThreadSanitizer builds that CI runs, which then
// build in a fraction of the time. Never set for an ordinary build or a consumer.
if Context.environment["FACEKIT_CORE_ONLY"] != nil {
    let outside: Set<String> = [
        "FaceKitServer", "FaceKitPostgres", "facekit", "bench",
        "FaceKitCLITests", "FaceKitServerTests", "FaceKitPostgresTests",
    ]
    package.targets.removeAll { outside.contains($0.name) }
    package.products.removeAll { outside.contains($0.name) }
    package.dependencies.removeAll { dependency in
        guard case .sourceControl(_, let location, _) = dependency.kind else { return false }
        return !["swift-crypto", "swift-atomics", "swift-docc-plugin"].contains { location.hasSuffix("/" + $0) }
    }
}
