// `--index LOCATION` for every command that reads or writes enrolled people: a gallery file
// path or a postgres:// URL. `--gallery FILE` is kept as an alias. The commands use only the
// FaceIndex protocol, so both back ends behave the same.
import ArgumentParser
import FaceKit
import Foundation

struct IndexOptions: ParsableArguments {
    @Option(name: .customLong("index"), help: ArgumentHelp(
        "The face index: a gallery file path, or a postgres://user@host:port/database URL.", valueName: "path-or-url"))
    var index: String?
    @Option(name: .customLong("gallery"), help: ArgumentHelp("The same as --index (a gallery file).", valueName: "file"))
    var gallery: String?

    func validate() throws {
        if index != nil && gallery != nil { throw ValidationError("--index and --gallery name the same thing; give one") }
        if index == nil && gallery == nil { throw ValidationError("missing --index PATH-OR-URL (a gallery file or a postgres:// URL)") }
    }

    /// The index's location as given.
    var location: String { index ?? gallery ?? "" }

    /// The location for messages (a URL's password hidden).
    var displayName: String { displayIndexName(location) }

    /// Opens the index; see ``openIndex(_:writable:mustExist:)``.
    func open(writable: Bool, mustExist: Bool = false) async throws -> any FaceIndex {
        try await openIndex(location, writable: writable, mustExist: mustExist)
    }
}

/// Whether `location` names a PostgreSQL index rather than a gallery file.
func isPostgresURL(_ location: String) -> Bool {
    let lower = location.lowercased()
    return lower.hasPrefix("postgres://") || lower.hasPrefix("postgresql://")
}

/// `location` with the password of a URL replaced by "***".
func displayIndexName(_ location: String) -> String {
    guard isPostgresURL(location), var parts = URLComponents(string: location), parts.password != nil else { return location }
    parts.password = "***"
    return parts.string ?? location
}

/// Opens the face index at `location`: a `postgres://` (or `postgresql://`) URL opens the
/// PostgreSQL index, anything else is a gallery file path (created by the first write).
/// With `mustExist`, a gallery file that does not exist is an error instead of an empty index.
func openIndex(_ location: String, writable: Bool, mustExist: Bool = false) async throws -> any FaceIndex {
    if isPostgresURL(location) {
        do { return try await openPostgresIndex(url: location, writable: writable) } catch let error as GalleryError {
            // The message names the index by its URL: never print its password.
            let shown = displayIndexName(location)
            guard shown != location else { throw error }
            throw CLIError(error.description.replacingOccurrences(of: location, with: shown))
        }
    }
    if mustExist && !FileManager.default.fileExists(atPath: location) {
        throw CLIError("no gallery at \(location); enrol people first (facekit enroll --index \(location) NAME PHOTO...)")
    }
    return try FaceGallery(path: location, writable: writable)
}
