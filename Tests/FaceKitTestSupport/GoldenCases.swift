// Argument lists of golden tests. A parameterised test whose argument list comes out empty
// runs zero cases and passes, so a missing or unreadable reference file must not give an
// empty list: it gives one sentinel case, and that case fails with the reason.
import Foundation

public enum GoldenCases {
    /// Marks the sentinel argument of a list that could not be read.
    public static let missingPrefix = "MISSING REFERENCE DATA: "

    /// The cases `load` lists, or one sentinel naming `what` (in `folder`) and the error when it
    /// throws or lists nothing.
    public static func list(_ what: String, in folder: String = Shared.reference.path, _ load: () throws -> [String]) -> [String] {
        do {
            let cases = try load()
            return cases.isEmpty ? [missingPrefix + "\(what) lists no cases (in \(folder))"] : cases
        } catch {
            return [missingPrefix + "\(what) could not be read (in \(folder)): \(error)"]
        }
    }

    /// Throws for the sentinel case, so the test records why the reference data is missing.
    public static func require(_ argument: String) throws {
        if argument.hasPrefix(missingPrefix) { throw MissingReferenceData(message: argument) }
    }

    /// `value` as a `T`, or an error naming `what` (for list builders, which run outside any test).
    public static func cast<T>(_ value: Any?, _ what: String) throws -> T {
        guard let v = value as? T else { throw MissingReferenceData(message: "\(what) is missing or not a \(T.self)") }
        return v
    }

    public struct MissingReferenceData: Error, CustomStringConvertible {
        public let message: String
        public var description: String { message }
    }
}
