// Errors of the FaceKit layer itself (image and weights errors keep their own types).
import Foundation

/// An error raised by FaceKit's pipeline types.
public enum FaceKitError: Error, Sendable, Equatable, CustomStringConvertible {
    /// An argument is outside its valid range.
    case invalidArgument(String)
    /// No face was found where one was required.
    case noFace(source: String)
    /// A photo that should show one person holds several faces, and nothing said which to use
    /// (``FaceChoice/only``). `faces` lists them in detection order (best score first); their
    /// positions are the indices ``FaceChoice/index(_:)`` takes.
    case multipleFaces(source: String, faces: [DetectedFace])
    /// ``FaceChoice/index(_:)`` named a face the photo does not have; `faces` lists those it has.
    case noSuchFace(source: String, index: Int, faces: [DetectedFace])
    /// A pairs file holds no labelled pairs (see ``PairsFile/expectedFormat``).
    case noPairs(source: String)

    public var description: String {
        switch self {
        case let .invalidArgument(m): return "invalid argument: \(m)"
        case let .noFace(s): return "\(s): no face found"
        case let .multipleFaces(s, faces):
            return "\(s): \(faces.count) faces where one was expected; choose one by index or the largest: \(FaceKitError.list(faces))"
        case let .noSuchFace(s, i, faces):
            return "\(s): no face \(i); it has \(faces.count) face\(faces.count == 1 ? "" : "s"): \(FaceKitError.list(faces))"
        case let .noPairs(s): return "\(s) holds no pairs; expected \(PairsFile.expectedFormat)"
        }
    }

    /// "0 at x=… y=… w=… h=… score 0.972, 1 at …": each face's index, box and score on one line.
    static func list(_ faces: [DetectedFace]) -> String {
        faces.enumerated().map { i, f in "\(i) at \(f.box.summary) score \(String(format: "%.3f", f.score))" }.joined(separator: ", ")
    }
}

extension BoundingBox {
    /// "x=12 y=34 w=56 h=78", rounded to whole pixels.
    var summary: String {
        "x=\(Int(x.rounded())) y=\(Int(y.rounded())) w=\(Int(width.rounded())) h=\(Int(height.rounded()))"
    }
}
