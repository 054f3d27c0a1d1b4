// The `facekit` command line tool. Every subcommand is a thin shell over the library:
// it parses options, calls FaceKit and prints. Errors print one line on stderr and
// exit non-zero (ArgumentParser's handling of thrown errors).
import ArgumentParser
import FaceKit
import FaceKitSupport
import Foundation

@main
struct FaceKitCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "facekit",
        abstract: "Face detection, alignment, embedding and matching in pure Swift.",
        version: FaceKit.version,
        subcommands: [DetectCommand.self, EmbedCommand.self, CompareCommand.self, AnnotateCommand.self, EnrollCommand.self, IdentifyCommand.self, GalleryCommand.self, EvaluateCommand.self, WeightsCommand.self, CPUCommand.self, ServeCommand.self])
}

/// Options every command that loads models shares.
struct WeightsOptions: ParsableArguments {
    @Option(name: .customLong("weights"), help: "A directory holding <model>/model.json and its shards (searched before $FACEKIT_WEIGHTS and the cache).")
    var directory: String?

    @Flag(help: "Never download model files.")
    var offline = false

    @Option(help: .hidden)
    var mirror: String?

    /// The store these options describe. A `--weights` directory that does not exist fails
    /// every model lookup (``WeightStore/checkDirectory()``); a model it lacks is taken from
    /// the next location with a warning on stderr.
    func store() -> WeightStore {
        var store = WeightStore(
            directory: directory.map { URL(fileURLWithPath: $0) },
            allowsDownload: offline ? false : nil,
            mirror: mirror.flatMap { URL(string: $0) })
        store.warningHandler = { printError("warning: \($0)") }
        return store
    }
}

/// Writes one line to standard error.
func printError(_ message: String) {
    FileHandle.standardError.write(Data("facekit: \(message)\n".utf8))
}

/// Problems with individual files of a multi-file command: collected while the command keeps
/// going, then printed at the end, one line each on stderr, with a non-zero exit status.
struct Failures {
    /// What failed (a file, a model…) and the error's one-line description, in order.
    private(set) var items: [(subject: String, message: String)] = []

    /// The subjects that failed, in order.
    var subjects: [String] { items.map(\.subject) }

    /// The errors themselves, in the same order as ``items``.
    private(set) var errors: [(subject: String, error: any Error)] = []

    mutating func record(_ error: Error, subject: String = "") {
        items.append((subject, "\(error)"))
        errors.append((subject, error))
    }

    /// Prints what was collected, one line each on stderr.
    func printAll() {
        for item in items { printError(item.message) }
    }

    /// Prints what was collected and fails the command if anything was.
    func finish() throws {
        printAll()
        if !items.isEmpty { throw ExitCode.failure }
    }
}

/// A runtime failure of a command: printed as one line on stderr (usage errors keep
/// ArgumentParser's `ValidationError`, which also shows the usage).
struct CLIError: Error, CustomStringConvertible {
    let description: String
    init(_ message: String) { description = message }
}
