// Labelled pairs for threshold calibration: the LFW pairs.txt format and a simple CSV.
import Foundation

/// Two images and whether they show the same person.
public struct LabeledPair: Sendable, Equatable {
    public let first: String
    public let second: String
    public let isSamePerson: Bool
    /// The cross-validation fold from the file (LFW's layout), if it has folds.
    public let fold: Int?

    public init(first: String, second: String, isSamePerson: Bool, fold: Int? = nil) {
        self.first = first; self.second = second; self.isSamePerson = isSamePerson; self.fold = fold
    }
}

/// Reads pairs files.
public enum PairsFile {
    /// Image extensions tried for LFW-style names, in order.
    static let extensions = ["jpg", "jpeg", "png", "webp", "JPG", "PNG"]

    /// The two formats a pairs file may use, in words: what an error about a file without
    /// pairs tells the user to write.
    public static let expectedFormat = "CSV lines 'path_a,path_b,same' (same = 1 or 0; paths relative to the root) "
        + "or LFW pairs.txt lines 'name i j' (same person) and 'name1 i name2 j' (different people)"

    /// Parses `text`. LFW format: an optional first line "folds pairsPerFold" (or "pairsPerFold"),
    /// then "name i j" (same person) or "name1 i name2 j" (different people), images at
    /// `root/name/name_%04d.<ext>`. CSV: "path_a,path_b,same" (same = 1/0/true/false/yes/no; a
    /// header line, whose third field is not a label, is skipped), relative paths under `root`. The format is recognised from the content.
    ///
    /// - Throws: ``FaceKitError/noPairs(source:)`` when `text` holds no pair (it is empty, or
    ///   only a header, comments or blank lines), ``FaceKitError/invalidArgument(_:)`` naming
    ///   `source` and the line for a line in neither format.
    public static func parse(_ text: String, root: String, source: String = "pairs file") throws -> [LabeledPair] {
        try parse(text, root: root, source: source, fileExists: { FileManager.default.fileExists(atPath: $0) })
    }

    /// ``parse(_:root:source:)`` with the file-existence check that picks an LFW image's
    /// extension given (the fuzz target passes one that does not touch the disk).
    package static func parse(_ text: String, root: String, source: String, fileExists: (String) -> Bool) throws -> [LabeledPair] {
        let lines = text.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty && !$0.hasPrefix("#") }
        guard let first = lines.first else { throw FaceKitError.noPairs(source: source) }
        let pairs = first.contains(",") ? try parseCSV(lines, root: root, source: source)
            : try parseLFW(lines, root: root, source: source, fileExists: fileExists)
        guard !pairs.isEmpty else { throw FaceKitError.noPairs(source: source) }
        return pairs
    }

    static func resolve(_ path: String, _ root: String) -> String {
        // isDirectory given: otherwise Foundation asks the file system.
        path.hasPrefix("/") ? path : URL(fileURLWithPath: root, isDirectory: true).appendingPathComponent(path, isDirectory: false).path
    }

    static func parseCSV(_ lines: [String], root: String, source: String) throws -> [LabeledPair] {
        var out: [LabeledPair] = []
        for (n, line) in lines.enumerated() {
            let f = line.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
            guard f.count == 3 else { throw FaceKitError.invalidArgument("\(source):\(n + 1): expected path_a,path_b,same") }
            let label: Bool
            switch f[2].lowercased() {
            case "1", "true", "yes": label = true
            case "0", "false", "no": label = false
            default:
                if n == 0 { continue }   // header
                throw FaceKitError.invalidArgument("\(source):\(n + 1): '\(f[2])' is not a same-person label (1/0)")
            }
            out.append(LabeledPair(first: resolve(f[0], root), second: resolve(f[1], root), isSamePerson: label))
        }
        return out
    }

    static func lfwPath(_ name: String, _ index: String, _ root: String, source: String, line: Int,
                        fileExists: (String) -> Bool) throws -> String {
        guard let i = Int(index), i >= 0 else { throw FaceKitError.invalidArgument("\(source):\(line): '\(index)' is not an image number") }
        let number = String(i)   // at least 4 digits, zero-padded: LFW's name_0001
        let padded = String(repeating: "0", count: max(0, 4 - number.count)) + number
        let stem = URL(fileURLWithPath: root, isDirectory: true).appendingPathComponent(name, isDirectory: true)
            .appendingPathComponent(name + "_" + padded, isDirectory: false)
        for ext in extensions {
            let p = stem.path + "." + ext
            if fileExists(p) { return p }
        }
        return stem.path + ".jpg"
    }

    static func parseLFW(_ lines: [String], root: String, source: String, fileExists: (String) -> Bool) throws -> [LabeledPair] {
        var body = lines[...]
        var perFold: Int? = nil
        let head = lines[0].split(whereSeparator: \.isWhitespace)
        if head.allSatisfy({ Int($0) != nil }) {
            body = lines.dropFirst()
            // 2n pairs per fold (n same-person, n different-person).
            if head.count == 2, let folds = Int(head[0]), let n = Int(head[1]), folds > 1, n > 0 {
                let (doubled, overflow) = n.multipliedReportingOverflow(by: 2)
                guard !overflow else {
                    throw FaceKitError.invalidArgument("\(source):1: \(n) pairs per fold is more than a file can hold")
                }
                perFold = doubled
            }
        }
        var out: [LabeledPair] = []
        for (k, line) in body.enumerated() {
            let n = k + (body.startIndex) + 1
            let f = line.split(whereSeparator: \.isWhitespace).map(String.init)
            let fold = perFold.map { k / $0 }
            switch f.count {
            case 3:
                out.append(LabeledPair(first: try lfwPath(f[0], f[1], root, source: source, line: n, fileExists: fileExists),
                                       second: try lfwPath(f[0], f[2], root, source: source, line: n, fileExists: fileExists), isSamePerson: true, fold: fold))
            case 4:
                out.append(LabeledPair(first: try lfwPath(f[0], f[1], root, source: source, line: n, fileExists: fileExists),
                                       second: try lfwPath(f[2], f[3], root, source: source, line: n, fileExists: fileExists), isSamePerson: false, fold: fold))
            default:
                throw FaceKitError.invalidArgument("\(source):\(n): expected 'name i j' or 'name1 i name2 j'")
            }
        }
        return out
    }
}
