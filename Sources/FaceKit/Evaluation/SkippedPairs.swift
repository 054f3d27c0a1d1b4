// The pairs of a pairs file that could not be scored, and why: reported before any metric,
// because a wrong root directory otherwise shows up only as "too few pairs".
import FaceKitImage
import Foundation

/// Why an image of a labelled pair could not be used.
public enum UnusableImageReason: String, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    /// No file at the image's path (a wrong root directory is the usual cause).
    case notFound = "image not found"
    /// The file is there but could not be read or decoded.
    case unreadable = "image unreadable"
    /// The image was read but holds no face.
    case noFace = "no face found"
    /// Anything else that failed while embedding the image.
    case failed = "embedding failed"

    /// The reason an image at `path` failed with `error`: ``notFound`` when nothing is at `path`.
    public init(error: any Error, path: String) {
        if !FileManager.default.fileExists(atPath: path) {
            self = .notFound
        } else if case FaceKitError.noFace = error {
            self = .noFace
        } else if error is ImageError {
            self = .unreadable
        } else {
            self = .failed
        }
    }

    public var description: String { rawValue }
}

/// The pairs that could not be scored because one of their images was unusable, grouped by
/// reason, with one example path per reason.
///
/// Its description is the one line `facekit evaluate` prints before anything else, such as
/// `5999 of 6000 pairs skipped: image not found (e.g. /data/lfw/Abel_Pacheco/Abel_Pacheco_0001.jpg)`.
public struct SkippedPairs: Sendable, Equatable, CustomStringConvertible {
    /// Pairs skipped for one reason.
    public struct Group: Sendable, Equatable {
        /// Why the pairs were skipped.
        public let reason: UnusableImageReason
        /// How many pairs were skipped for this reason.
        public let count: Int
        /// The first unusable image with this reason, in pair order.
        public let example: String
    }

    /// How many pairs there were in all.
    public let total: Int
    /// The skipped pairs, in their original order.
    public let pairs: [LabeledPair]
    /// The reasons, most pairs first (ties in the order of ``UnusableImageReason/allCases``).
    public let groups: [Group]

    /// Finds the pairs of `pairs` with an unusable image.
    ///
    /// - Parameters:
    ///   - pairs: All pairs, as read from the pairs file.
    ///   - unusableImages: The reason each unusable image could not be used, by path. A pair is
    ///     skipped when either image is in it, and counted under its first unusable image's reason.
    public init(pairs all: [LabeledPair], unusableImages: [String: UnusableImageReason]) {
        total = all.count
        var skipped: [LabeledPair] = []
        var counts: [UnusableImageReason: (count: Int, example: String)] = [:]
        for pair in all {
            let path = unusableImages[pair.first] != nil ? pair.first : pair.second
            guard let reason = unusableImages[path] else { continue }
            skipped.append(pair)
            counts[reason, default: (0, path)].count += 1
        }
        pairs = skipped
        let order = UnusableImageReason.allCases
        groups = counts.map { Group(reason: $0.key, count: $0.value.count, example: $0.value.example) }
            .sorted { $0.count != $1.count ? $0.count > $1.count : order.firstIndex(of: $0.reason)! < order.firstIndex(of: $1.reason)! }
    }

    /// Whether no pair was skipped.
    public var isEmpty: Bool { pairs.isEmpty }

    /// "5999 of 6000 pairs skipped: image not found (e.g. PATH)"; with several reasons each has
    /// its count: "7 of 10 pairs skipped: 5 image not found (e.g. PATH), 2 no face found (e.g. PATH)".
    public var description: String {
        let reasons = groups.map { g in (groups.count > 1 ? "\(g.count) " : "") + "\(g.reason) (e.g. \(g.example))" }
        return "\(pairs.count) of \(total) pair\(total == 1 ? "" : "s") skipped" + (reasons.isEmpty ? "" : ": " + reasons.joined(separator: ", "))
    }
}
