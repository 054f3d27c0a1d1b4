// Eye-level alignment, the classic method: rotate the photo about the eye midpoint so the eyes
// are level, then take a square 1.2× larger than the face box (so rotation leaves no black
// corners) centred on the box centre, resized to 112×112 with the same bilinear sampler.
// This is the reference data's `seed` crop.
import FaceKitImage
import FaceKitSupport

/// Aligns faces by levelling the eyes and cropping a square around the box.
public struct EyeLevelAligner: FaceAligner {
    /// The crop side as a multiple of the larger box side (default 1.2).
    public var margin: Double

    /// Creates an aligner whose square crop is `margin` times the larger box side.
    public init(margin: Double = 1.2) { self.margin = margin }

    /// The eye-level crop of `face` (``AlignedFace/method`` is ``AlignmentMethod/eyes``).
    ///
    /// - Throws: ``FaceKitError/invalidArgument(_:)`` when the box or eyes are degenerate.
    public func align(_ face: DetectedFace, in image: RGBImage) throws -> AlignedFace {
        try AlignedFace(warping: image, by: try transform(for: face), method: .eyes)
    }

    /// The image → crop map for `face` (pixel-index coordinates on both sides).
    public func transform(for face: DetectedFace) throws -> AffineMatrix {
        let r = face.keypoints.rightEye, l = face.keypoints.leftEye
        let side = margin * max(face.box.width, face.box.height)
        guard side.isFinite, side > 0, r.x.isFinite, r.y.isFinite, l.x.isFinite, l.y.isFinite else {
            throw FaceKitError.invalidArgument("the face box or eyes are degenerate; the face cannot be aligned")
        }
        let theta = atan2(l.y - r.y, l.x - r.x)
        let cx = (r.x + l.x) / 2, cy = (r.y + l.y) / 2
        let centre = face.box.center
        let k = side / Double(AlignedFace.size)
        // Crop (u, v) → point q of the levelled photo (continuous) → photo point p = c + R(θ)(q − c).
        let cosT = cos(theta), sinT = sin(theta)
        let q0x = centre.x - side / 2 + 0.5 * k, q0y = centre.y - side / 2 + 0.5 * k
        let tx = cosT * (q0x - cx) - sinT * (q0y - cy) + cx - 0.5
        let ty = sinT * (q0x - cx) + cosT * (q0y - cy) + cy - 0.5
        let cropToImage = AffineMatrix(k * cosT, -k * sinT, tx, k * sinT, k * cosT, ty)
        guard let m = cropToImage.inverted() else {
            throw FaceKitError.invalidArgument("the face cannot be aligned")
        }
        return m
    }
}
