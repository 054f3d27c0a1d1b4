// Locating ../shared and reading its reference files, for every test target.
import Crypto
import Foundation

public enum Shared {
    /// The package root (three levels above this file).
    public static let packageRoot: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// `../shared` beside the package, or `$FACEKIT_SHARED`.
    public static let root: URL = {
        if let env = ProcessInfo.processInfo.environment["FACEKIT_SHARED"], !env.isEmpty {
            return URL(fileURLWithPath: env)
        }
        return packageRoot.deletingLastPathComponent().appendingPathComponent("shared")
    }()

    public static var images: URL { root.appendingPathComponent("images") }
    public static var reference: URL { root.appendingPathComponent("reference") }
    public static var weights: URL { root.appendingPathComponent("weights") }

    public static func path(_ relative: String) -> String { root.appendingPathComponent(relative).path }

    /// A JSON file of ../shared/reference as nested dictionaries.
    public static func referenceJSON(_ name: String) throws -> [String: Any] {
        let data = try Data(contentsOf: reference.appendingPathComponent(name))
        return try JSONSerialization.jsonObject(with: data) as! [String: Any]
    }

    /// A raw little-endian float32 file of ../shared/reference/tensors.
    public static func tensorFile(_ name: String) throws -> [Float] {
        let data = try Data(contentsOf: reference.appendingPathComponent("tensors").appendingPathComponent(name))
        return data.withUnsafeBytes { raw in
            (0..<(data.count / 4)).map { Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * 4, as: UInt32.self))) }
        }
    }

    /// Lowercase hex SHA-256.
    public static func sha256Hex<D: DataProtocol>(_ data: D) -> String {
        SHA256.hash(data: data).map { String(format: "%02x", $0) }.joined()
    }

    /// The synthetic input of the reference: x[i] = Float(sin(0.001 · i · (i % 7 + 1))).
    public static func syntheticInput(count: Int) -> [Float] {
        (0..<count).map { (i: Int) -> Float in
            let x: Double = 0.001 * Double(i) * Double(i % 7 + 1)
            return Float(sin(x))
        }
    }

    /// A fresh temporary directory.
    public static func temporaryDirectory(_ tag: String = "facekit") throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("\(tag)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }
}
