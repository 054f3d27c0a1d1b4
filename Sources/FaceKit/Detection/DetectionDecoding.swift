// From raw BlazeFace outputs to faces, exactly as MediaPipe's short-range graph does
// (see ../shared/reference/README.md, "Detector pipeline"): SSD anchors, XYWH decoding
// relative to the anchor, sigmoid of the clipped logit, a score threshold, weighted
// non-maximum suppression, and the mapping back out of the letterbox. All in Double.
import FaceKitImage
import FaceKitSupport

/// SSD anchors: the 16×16 grid with 2 anchors per cell, then the 8×8 grid with 6 — 896
/// centres in the unit square, identical for both variants (fixed anchor size 1×1).
enum BlazeFaceAnchors {
    static let centers: [(x: Double, y: Double)] = {
        var out: [(Double, Double)] = []
        for (grid, perCell) in [(16, 2), (8, 6)] {
            for y in 0..<grid {
                for x in 0..<grid {
                    for _ in 0..<perCell { out.append(((Double(x) + 0.5) / Double(grid), (Double(y) + 0.5) / Double(grid))) }
                }
            }
        }
        return out
    }()
}

/// A decoded candidate in the unit square of the letterbox.
struct Candidate {
    var score: Double
    var xmin, ymin, xmax, ymax: Double
    var keypoints: [Double]   // 12 values: x0, y0, …, x5, y5

    var area: Double { max(0, xmax - xmin) * max(0, ymax - ymin) }

    func iou(_ o: Candidate) -> Double {
        let w = min(xmax, o.xmax) - max(xmin, o.xmin), h = min(ymax, o.ymax) - max(ymin, o.ymin)
        guard w > 0, h > 0 else { return 0 }
        let inter = w * h
        let union = area + o.area - inter
        return union > 0 ? inter / union : 0
    }
}

enum DetectionDecoder {
    /// Candidates at or above `minimumScore` from one image's outputs.
    static func candidates(scores: UnsafePointer<Float>, regressors: UnsafePointer<Float>, inputSize: Int,
                           minimumScore: Double) -> [Candidate] {
        let n = Double(inputSize)
        var out: [Candidate] = []
        for (k, anchor) in BlazeFaceAnchors.centers.enumerated() {
            let logit = min(max(Double(scores[k]), -100), 100)
            let score = 1 / (1 + exp(-logit))
            guard score >= minimumScore else { continue }
            let r = regressors + k * 16
            let cx = Double(r[0]) / n + anchor.x, cy = Double(r[1]) / n + anchor.y
            let w = Double(r[2]) / n, h = Double(r[3]) / n
            var kp = [Double](repeating: 0, count: 12)
            for i in 0..<6 {
                kp[2 * i] = Double(r[4 + 2 * i]) / n + anchor.x
                kp[2 * i + 1] = Double(r[5 + 2 * i]) / n + anchor.y
            }
            guard cx.isFinite, cy.isFinite, w.isFinite, h.isFinite, kp.allSatisfy(\.isFinite) else { continue }
            out.append(Candidate(score: score, xmin: cx - w / 2, ymin: cy - h / 2, xmax: cx + w / 2, ymax: cy + h / 2, keypoints: kp))
        }
        return out
    }

    /// MediaPipe's weighted NMS: the best remaining candidate and every remaining one with
    /// IoU > `threshold` form a group; the output takes the score-weighted mean box and
    /// keypoints and the best score.
    static func weightedNMS(_ candidates: [Candidate], iouThreshold: Double, maximumFaces: Int?) -> [Candidate] {
        var remaining = candidates.enumerated().sorted { a, b in
            a.element.score != b.element.score ? a.element.score > b.element.score : a.offset < b.offset   // stable
        }.map(\.element)
        var out: [Candidate] = []
        while let best = remaining.first {
            if let maximumFaces, out.count >= maximumFaces { break }
            var group: [Candidate] = [], rest: [Candidate] = []
            for c in remaining { if best.iou(c) > iouThreshold { group.append(c) } else { rest.append(c) } }
            if group.isEmpty { group = [best]; rest = Array(remaining.dropFirst()) }
            remaining = rest
            let total = group.reduce(0) { $0 + $1.score }
            var merged = best
            merged.xmin = group.reduce(0) { $0 + $1.xmin * $1.score } / total
            merged.ymin = group.reduce(0) { $0 + $1.ymin * $1.score } / total
            merged.xmax = group.reduce(0) { $0 + $1.xmax * $1.score } / total
            merged.ymax = group.reduce(0) { $0 + $1.ymax * $1.score } / total
            for i in 0..<12 { merged.keypoints[i] = group.reduce(0) { $0 + $1.keypoints[i] * $1.score } / total }
            out.append(merged)
        }
        return out
    }

    /// Maps a candidate out of the letterbox into pixels of the original image.
    static func face(_ c: Candidate, letterbox: Letterbox, variant: DetectorVariant) -> DetectedFace {
        let s = Double(letterbox.side), px = Double(letterbox.padLeft), py = Double(letterbox.padTop)
        let box = BoundingBox(x: c.xmin * s - px, y: c.ymin * s - py, width: (c.xmax - c.xmin) * s, height: (c.ymax - c.ymin) * s)
        let points = (0..<6).map { PixelPoint(x: c.keypoints[2 * $0] * s - px, y: c.keypoints[2 * $0 + 1] * s - py) }
        return DetectedFace(score: c.score, box: box, keypoints: FaceKeypoints(points), variant: variant)
    }
}
