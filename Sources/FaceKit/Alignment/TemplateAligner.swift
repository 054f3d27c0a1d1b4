// Template alignment: the similarity transform (rotation, uniform scale, translation) that maps
// four BlazeFace keypoints — the subject's right eye (image left), left eye, nose tip and mouth
// centre — onto the ArcFace 112×112 template in the least-squares sense, in closed form.
import FaceKitImage

/// Aligns faces onto the ArcFace template (the embedder's own alignment; the default).
public struct TemplateAligner: FaceAligner {
    /// The template in crop pixel-index coordinates: right eye, left eye, nose tip, and the mouth
    /// centre as the midpoint of the template's mouth corners (41.5493, 92.3655) and (70.7299, 92.2041).
    public static let template: [(x: Double, y: Double)] = [
        (38.2946, 51.6963), (73.5318, 51.5014), (56.0252, 71.7366), (56.1396, 92.2848),
    ]

    /// Creates a template aligner.
    public init() {}

    /// The template crop of `face` (``AlignedFace/method`` is ``AlignmentMethod/template``).
    ///
    /// - Throws: ``FaceKitError/invalidArgument(_:)`` when the keypoints coincide or are not finite.
    public func align(_ face: DetectedFace, in image: RGBImage) throws -> AlignedFace {
        try AlignedFace(warping: image, by: try transform(for: face.keypoints), method: .template)
    }

    /// The image → crop map for these keypoints (continuous coordinates, converted to pixel-index ones).
    public func transform(for k: FaceKeypoints) throws -> AffineMatrix {
        let source = [k.rightEye, k.leftEye, k.noseTip, k.mouthCenter].map { (x: $0.x - 0.5, y: $0.y - 0.5) }
        return try Self.similarity(from: source, to: Self.template)
    }

    /// Least-squares similarity `source → destination` (no reflection):
    /// a = Σ(sx·dx + sy·dy)/Σ|s|², b = Σ(sx·dy − sy·dx)/Σ|s|² over centred points, M = [[a, −b, tx], [b, a, ty]].
    public static func similarity(from source: [(x: Double, y: Double)], to destination: [(x: Double, y: Double)]) throws -> AffineMatrix {
        guard source.count == destination.count, source.count >= 2 else {
            throw FaceKitError.invalidArgument("a similarity needs at least two point pairs")
        }
        let n = Double(source.count)
        let msx = source.reduce(0) { $0 + $1.x } / n, msy = source.reduce(0) { $0 + $1.y } / n
        let mdx = destination.reduce(0) { $0 + $1.x } / n, mdy = destination.reduce(0) { $0 + $1.y } / n
        var num1 = 0.0, num2 = 0.0, den = 0.0
        for (s, d) in zip(source, destination) {
            let sx = s.x - msx, sy = s.y - msy, dx = d.x - mdx, dy = d.y - mdy
            num1 += sx * dx + sy * dy
            num2 += sx * dy - sy * dx
            den += sx * sx + sy * sy
        }
        guard den > 1e-12, den.isFinite, num1.isFinite, num2.isFinite else {
            throw FaceKitError.invalidArgument("the keypoints coincide or are not finite; the face cannot be aligned")
        }
        let a = num1 / den, b = num2 / den
        return AffineMatrix(a, -b, mdx - (a * msx - b * msy), b, a, mdy - (b * msx + a * msy))
    }
}
