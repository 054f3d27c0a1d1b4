// Drawing detections onto a photo, so a user sees what BlazeFace found.
import FaceKitImage

extension RGBImage {
    /// A copy with each face's box, keypoints and score drawn, and an optional label per face.
    ///
    /// Keypoint colours: eyes green, nose yellow, mouth magenta, ear tragions cyan.
    public func annotated(with faces: [DetectedFace], labels: [String]? = nil) -> RGBImage {
        var out = self
        let scale = max(1, min(width, height) / 300)
        for (i, face) in faces.enumerated() {
            let size = max(face.box.width, face.box.height)
            out.strokeRect(x: face.box.x, y: face.box.y, width: face.box.width, height: face.box.height,
                           thickness: max(1, Int(size / 80)), .red)
            let colors: [RGBColor] = [.green, .green, .yellow, .magenta, .cyan, .cyan]
            for (p, c) in zip(face.keypoints.all, colors) {
                out.fillCircle(x: p.x, y: p.y, radius: max(1.5, size / 60), c)
            }
            var text = String(format2(face.score))
            if let labels, i < labels.count { text = labels[i] + " " + text }
            let ty = Int(face.box.y) - 9 * scale - 2
            out.drawText(text, x: Int(face.box.x) + scale, y: ty < 0 ? Int(face.box.y + face.box.height) + 2 * scale : ty,
                         scale: scale, color: .white, background: .red)
        }
        return out
    }
}

extension RGBImage {
    /// A copy with the aligned crops tiled to the right of the image, in columns as high as
    /// the image, each numbered in its top-left corner (`0` for the first crop), on a dark grey
    /// background; the image itself when `crops` is empty.
    ///
    /// Combined with ``annotated(with:labels:)``, it shows what the embedder saw for each face
    /// (`facekit annotate --crops`).
    ///
    /// - Throws: `ImageError.invalidDimensions` when the result would be too large.
    public func tilingCrops(_ crops: [AlignedFace]) throws -> RGBImage {
        guard !crops.isEmpty else { return self }
        let tile = AlignedFace.size, perColumn = max(1, height / tile)
        let columns = (crops.count + perColumn - 1) / perColumn
        var canvas = try RGBImage(width: width + columns * tile, height: max(height, min(crops.count, perColumn) * tile), fill: (32, 32, 32))
        canvas.paste(self, x: 0, y: 0)
        for (i, crop) in crops.enumerated() {
            let x = width + (i / perColumn) * tile, y = (i % perColumn) * tile
            canvas.paste(crop.image, x: x, y: y)
            canvas.drawText("\(i)", x: x + 2, y: y + 2, scale: 1, color: .white, background: .red)
        }
        return canvas
    }
}

/// Two decimals without Foundation's formatter.
func format2(_ v: Double) -> String {
    let r = (v * 100).rounded()
    let whole = Int(r) / 100, frac = abs(Int(r) % 100)
    return "\(whole).\(frac < 10 ? "0" : "")\(frac)"
}
