// Errors of the FaceKit layer itself (image and weights errors keep their own types).

/// An error raised by FaceKit's pipeline types.
public enum FaceKitError: Error, Sendable, Equatable, CustomStringConvertible {
    /// An argument is outside its valid range.
    case invalidArgument(String)
    /// No face was found where one was required.
    case noFace(source: String)

    public var description: String {
        switch self {
        case let .invalidArgument(m): return "invalid argument: \(m)"
        case let .noFace(s): return "\(s): no face found"
        }
    }
}
