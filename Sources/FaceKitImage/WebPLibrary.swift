// WebP through libwebp's runtime library, loaded with dlopen on first use: FaceKit builds
// without libwebp's headers or link flags, and reads WebP wherever the library is installed.
// On Apple platforms the same path loads Homebrew's libwebp (ImageIO could read WebP too, but
// would decode it with different code than on Linux).
import CFaceKitCodecs
import FaceKitSupport

/// libwebp, loaded at run time.
package struct WebPLibrary: @unchecked Sendable {   // an immutable table of C function pointers
    let handle: OpaquePointer

    /// The names tried, in order.
    package static let defaultNames: [String] = {
        #if canImport(Darwin)
        return ["libwebp.7.dylib", "libwebp.dylib", "/opt/homebrew/lib/libwebp.7.dylib", "/usr/local/lib/libwebp.7.dylib"]
        #else
        return ["libwebp.so.7", "libwebp.so"]
        #endif
    }()

    /// What to install when the library is missing.
    static var installAdvice: String {
        #if canImport(Darwin)
        return "install it with `brew install webp`"
        #else
        return "install it with `apt-get install libwebp7` (Debian/Ubuntu) or your system's libwebp package"
        #endif
    }

    /// The library from ``defaultNames``, loaded once per process.
    package static let shared: Result<WebPLibrary, LoadFailure> = load(names: defaultNames)

    /// Why the library could not be loaded.
    package struct LoadFailure: Error, Sendable { package let detail: String }

    /// Loads the first of `names` that the dynamic loader finds (each call loads anew).
    package static func load(names: [String]) -> Result<WebPLibrary, LoadFailure> {
        var message = [CChar](repeating: 0, count: Int(FK_MESSAGE_CAPACITY))
        let cNames = names.map { strdup($0) }
        defer { cNames.forEach { free($0) } }
        var list: [UnsafePointer<CChar>?] = cNames.map { UnsafePointer($0) } + [nil]
        let handle = list.withUnsafeMutableBufferPointer { fk_webp_open($0.baseAddress, &message) }
        guard let handle else {
            let why = String(decoding: message.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self)
            return .failure(LoadFailure(detail: "tried \(names.joined(separator: ", ")): \(why)"))
        }
        return .success(WebPLibrary(handle: handle))
    }

    /// Lossless WebP bytes of `image` (tests make their WebP inputs with it); nil when the
    /// library has no encoder or encoding fails.
    package func losslessData(_ image: RGBImage) -> [UInt8]? {
        var size = 0
        let out = image.pixels.withUnsafeBufferPointer {
            fk_webp_encode_lossless_rgb(handle, $0.baseAddress, Int32(image.width), Int32(image.height), Int32(image.width * 3), &size)
        }
        guard let out else { return nil }
        defer { fk_free(out) }
        return Array(UnsafeBufferPointer(start: out, count: size))
    }
}

extension ImageDecoder {
    func decodeWebP(_ bytes: UnsafeRawBufferPointer, source: String) throws -> RGBImage {
        let loaded = webPLibraryNames.map { WebPLibrary.load(names: $0) } ?? WebPLibrary.shared
        let library: WebPLibrary
        switch loaded {
        case .success(let l): library = l
        case .failure(let f): throw ImageError.decoderUnavailable(source: source, format: "WebP", detail: f.detail)
        }
        let base = bytes.baseAddress!.assumingMemoryBound(to: UInt8.self)
        // RIFF size field: the file must hold 8 + size bytes.
        let riffSize = Int(bytes[4]) | Int(bytes[5]) << 8 | Int(bytes[6]) << 16 | Int(bytes[7]) << 24
        let truncated = bytes.count < 8 + riffSize
        var w: Int32 = 0, h: Int32 = 0
        guard fk_webp_get_info(library.handle, base, bytes.count, &w, &h) != 0 else {
            if truncated { throw ImageError.truncated(source: source, detail: "WebP ends at byte \(bytes.count) of \(8 + riffSize)") }
            throw ImageError.corrupt(source: source, detail: "WebP header is invalid")
        }
        try checkBudget(Int(w), Int(h), source)
        var pixels = [UInt8](repeating: 0, count: Int(w) * Int(h) * 3)
        let stride = Int(w) * 3
        let ok = pixels.withUnsafeMutableBufferPointer { out in
            fk_webp_decode_rgb_into(library.handle, base, bytes.count, out.baseAddress, out.count, Int32(stride))
        }
        guard ok != 0 else {
            if truncated { throw ImageError.truncated(source: source, detail: "WebP ends at byte \(bytes.count) of \(8 + riffSize)") }
            throw ImageError.corrupt(source: source, detail: "WebP bitstream could not be decoded")
        }
        return RGBImage(uncheckedWidth: Int(w), height: Int(h), pixels: pixels)
    }
}
