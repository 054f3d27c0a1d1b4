// The `facekit` command line tool. Every subcommand is a thin shell over the library:
// it parses options, calls FaceKit and prints. Errors print one line on stderr and
// exit non-zero (ArgumentParser's handling of thrown errors).
import ArgumentParser
import FaceKit
import Foundation

@main
struct FaceKitCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "facekit",
        abstract: "Face detection, alignment, embedding and matching in pure Swift.",
        version: FaceKit.version,
        subcommands: [DetectCommand.self, EmbedCommand.self, CompareCommand.self, AnnotateCommand.self, EnrollCommand.self, IdentifyCommand.self, GalleryCommand.self, EvaluateCommand.self, WeightsCommand.self])
}

/// Options every command that loads models shares.
struct WeightsOptions: ParsableArguments {
    @Option(name: .customLong("weights"), help: "A directory holding <model>/model.json and its shards (searched before $FACEKIT_WEIGHTS and the cache).")
    var directory: String?

    @Flag(help: "Never download model files.")
    var offline = false

    @Option(help: .hidden)
    var mirror: String?

    func store() -> WeightStore {
        WeightStore(
            directory: directory.map { URL(fileURLWithPath: $0) },
            allowsDownload: offline ? false : nil,
            mirror: mirror.flatMap { URL(string: $0) })
    }
}

/// Writes one line to standard error.
func printError(_ message: String) {
    FileHandle.standardError.write(Data("facekit: \(message)\n".utf8))
}

/// JSON for one value, on one line.
func jsonLine(_ object: JSONObject) -> String {
    var out = ""
    writeJSON(object, to: &out)
    return out
}

/// A JSON object that keeps its keys in the order written, so output follows the documented
/// shape (`{"image": …, "faces": […]}`).
struct JSONObject: ExpressibleByDictionaryLiteral {
    private(set) var pairs: [(key: String, value: Any)]

    init(dictionaryLiteral elements: (String, Any)...) { pairs = elements.map { (key: $0.0, value: $0.1) } }

    /// Replaces the value of an existing key in place, or appends a new key.
    subscript(key: String) -> Any? {
        get { pairs.first { $0.key == key }?.value }
        set {
            let value = newValue ?? NSNull()
            if let i = pairs.firstIndex(where: { $0.key == key }) { pairs[i].value = value } else { pairs.append((key: key, value: value)) }
        }
    }
}

/// Serialises the values the commands print: objects (ordered, or dictionaries with sorted
/// keys), arrays, strings, booleans, integers and floating-point numbers (non-finite ones as
/// null, which JSON has no number for), and NSNull.
func writeJSON(_ value: Any, to out: inout String) {
    switch value {
    case let o as JSONObject:
        out += "{"
        for (i, pair) in o.pairs.enumerated() {
            if i > 0 { out += ", " }
            writeJSONString(pair.key, to: &out); out += ": "
            writeJSON(pair.value, to: &out)
        }
        out += "}"
    case let d as [String: Any]:
        var o = JSONObject()
        for key in d.keys.sorted() { o[key] = d[key] }
        writeJSON(o, to: &out)
    case let s as String: writeJSONString(s, to: &out)
    case let b as Bool: out += b ? "true" : "false"
    case let n as Int: out += String(n)
    case let x as Double: out += x.isFinite ? "\(x)" : "null"
    case let x as Float: out += x.isFinite ? "\(x)" : "null"
    case let a as [Any]:
        out += "["
        for (i, element) in a.enumerated() {
            if i > 0 { out += ", " }
            writeJSON(element, to: &out)
        }
        out += "]"
    case is NSNull: out += "null"
    default: writeJSONString("\(value)", to: &out)
    }
}

private func writeJSONString(_ s: String, to out: inout String) {
    out += "\""
    for scalar in s.unicodeScalars {
        switch scalar {
        case "\"": out += "\\\""
        case "\\": out += "\\\\"
        case "\n": out += "\\n"
        case "\r": out += "\\r"
        case "\t": out += "\\t"
        case _ where scalar.value < 0x20: out += String(format: "\\u%04x", scalar.value)
        default: out.unicodeScalars.append(scalar)
        }
    }
    out += "\""
}

/// Problems with individual files of a multi-file command: collected while the command keeps
/// going, then printed at the end, one line each on stderr, with a non-zero exit status.
struct Failures {
    private(set) var items: [String] = []

    mutating func record(_ error: Error) { items.append("\(error)") }

    /// Prints what was collected and fails the command if anything was.
    func finish() throws {
        for item in items { printError(item) }
        if !items.isEmpty { throw ExitCode.failure }
    }
}

/// A runtime failure of a command: printed as one line on stderr (usage errors keep
/// ArgumentParser's `ValidationError`, which also shows the usage).
struct CLIError: Error, CustomStringConvertible {
    let description: String
    init(_ message: String) { description = message }
}
