// Two-stage keypoints: the full-range (back) model finds the faces, then the short-range
// (front) model, run on a close-up 128×128 crop around each face — the regime it was trained
// for — supplies the keypoints that alignment uses. Measured on the sample photos: with the
// back model's own keypoints a same-person pair scored 0.38 and a different-person pair 0.42;
// with refined keypoints the classes separate as in the front-model reference (see README).
import FaceKitImage

/// Re-detects a face on a close-up crop with the short-range model to refine its keypoints.
struct KeypointRefiner: Sendable {
    /// The short-range detector.
    let detector: FaceDetector
    /// Crop side as a multiple of the larger box side.
    let context: Double = 3.0

    /// `face` with the refined box and keypoints (and its original score and variant), or `face`
    /// unchanged when the close-up finds no matching face.
    func refine(_ face: DetectedFace, in image: RGBImage) throws -> DetectedFace {
        let size = detector.configuration.variant.inputSize
        let side = context * max(face.box.width, face.box.height)
        guard side.isFinite, side > 1 else { return face }
        let c = face.box.center
        let x0 = c.x - side / 2, y0 = c.y - side / 2, k = side / Double(size)
        // Crop pixel (u, v) samples the photo at continuous (x0 + (u + 0.5)k, y0 + (v + 0.5)k):
        // pixel-index coordinates x_idx = x0 + (u + 0.5)k − 0.5, inverted for the image → crop map.
        let cropToImage = AffineMatrix(k, 0, x0 + 0.5 * k - 0.5, 0, k, y0 + 0.5 * k - 0.5)
        guard let imageToCrop = cropToImage.inverted() else { return face }
        let crop = try image.warpedAffine(imageToCrop, width: size, height: size)
        let candidates = try detector.detect(in: crop)
        // The face near the crop centre (the back model's face), if the close-up sees it.
        let centre = Double(size) / 2
        guard let best = candidates.min(by: { distance($0.box.center, centre) < distance($1.box.center, centre) }),
              distance(best.box.center, centre) < 0.25 * Double(size) else { return face }
        func back(_ p: PixelPoint) -> PixelPoint { PixelPoint(x: x0 + p.x * k, y: y0 + p.y * k) }
        let kp = best.keypoints
        return DetectedFace(
            score: face.score,
            box: BoundingBox(x: x0 + best.box.x * k, y: y0 + best.box.y * k, width: best.box.width * k, height: best.box.height * k),
            keypoints: FaceKeypoints(rightEye: back(kp.rightEye), leftEye: back(kp.leftEye), noseTip: back(kp.noseTip),
                                     mouthCenter: back(kp.mouthCenter), rightEarTragion: back(kp.rightEarTragion),
                                     leftEarTragion: back(kp.leftEarTragion)),
            variant: face.variant)
    }

    private func distance(_ p: PixelPoint, _ c: Double) -> Double { ((p.x - c) * (p.x - c) + (p.y - c) * (p.y - c)).squareRoot() }
}
