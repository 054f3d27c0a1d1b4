// Resampling as the reference data does it (see ../shared/reference/README.md):
// bilinear with half-pixel centres and no antialiasing for the detector input, and a
// bilinear affine warp with a zero border for face crops. All arithmetic in Double.

/// Where an image sits in the square it is letterboxed into: side S = max(W, H), the image
/// at (padLeft, padTop) with padLeft = ⌊(S − W)/2⌋, padTop = ⌊(S − H)/2⌋.
public struct Letterbox: Sendable, Equatable {
    public let side: Int
    public let padLeft: Int
    public let padTop: Int

    /// The letterbox of a `width`×`height` image.
    public init(width: Int, height: Int) {
        side = max(width, height)
        padLeft = (side - width) / 2
        padTop = (side - height) / 2
    }
}

/// A 2×3 affine map: x' = a·x + b·y + c, y' = d·x + e·y + f.
public struct AffineMatrix: Sendable, Equatable, CustomStringConvertible {
    public var a, b, c, d, e, f: Double

    /// Creates the map from its two rows.
    public init(_ a: Double, _ b: Double, _ c: Double, _ d: Double, _ e: Double, _ f: Double) {
        (self.a, self.b, self.c, self.d, self.e, self.f) = (a, b, c, d, e, f)
    }

    /// The identity map.
    public static let identity = AffineMatrix(1, 0, 0, 0, 1, 0)

    /// The map as a row-major 2×3 matrix.
    public var matrix: [[Double]] { [[a, b, c], [d, e, f]] }

    /// Applies the map to a point.
    public func apply(_ x: Double, _ y: Double) -> (x: Double, y: Double) {
        (a * x + b * y + c, d * x + e * y + f)
    }

    /// The inverse map, or nil when the map is singular.
    public func inverted() -> AffineMatrix? {
        let det = a * e - b * d
        guard det.isFinite, abs(det) > 1e-12 else { return nil }
        let ia = e / det, ib = -b / det, id = -d / det, ie = a / det
        return AffineMatrix(ia, ib, -(ia * c + ib * f), id, ie, -(id * c + ie * f))
    }

    /// `self` after `other`: x ↦ self(other(x)).
    public func concatenating(_ other: AffineMatrix) -> AffineMatrix {
        AffineMatrix(
            a * other.a + b * other.d, a * other.b + b * other.e, a * other.c + b * other.f + c,
            d * other.a + e * other.d, d * other.b + e * other.e, d * other.c + e * other.f + f)
    }

    public var description: String { "[[\(a), \(b), \(c)], [\(d), \(e), \(f)]]" }
}

extension RGBImage {
    /// Per-axis sampling positions of the half-pixel bilinear resize of `n` source samples to `m`.
    static func axisTaps(source n: Int, output m: Int) -> [(i0: Int, i1: Int, f: Double)] {
        let ratio = Double(n) / Double(m)
        return (0..<m).map { o in
            var s = (Double(o) + 0.5) * ratio - 0.5
            s = min(max(s, 0), Double(n - 1))
            let i0 = Int(s.rounded(.down))
            return (i0, min(i0 + 1, n - 1), s - Double(i0))
        }
    }

    /// Letterboxes the image into a black square and resizes it to `size`×`size`
    /// (bilinear, half-pixel centres, no antialiasing), writing `value · scale + offset`
    /// as Float, NHWC, 3 channels, into `output` (`size·size·3` floats).
    ///
    /// With `scale` 1/127.5 and `offset` −1 this is BlazeFace's input, the padding becoming −1.
    @discardableResult
    public func letterboxResized(
        to size: Int, scale: Double, offset: Double, into output: UnsafeMutablePointer<Float>
    ) -> Letterbox {
        let box = Letterbox(width: width, height: height)
        // Per axis: the two source positions of each output index as offsets into the image
        // (−1 where the letterbox padding, value 0, is sampled) and the weight of the second.
        let xs = Self.axisTaps(source: box.side, output: size).map { t in
            (Self.offset(t.i0 - box.padLeft, width, 3), Self.offset(t.i1 - box.padLeft, width, 3), t.f)
        }
        let ys = Self.axisTaps(source: box.side, output: size).map { t in
            (Self.offset(t.i0 - box.padTop, height, width * 3), Self.offset(t.i1 - box.padTop, height, width * 3), t.f)
        }
        pixels.withUnsafeBufferPointer { p in
            let base = p.baseAddress!
            @inline(__always) func at(_ row: Int, _ col: Int, _ ch: Int) -> Double {
                row < 0 || col < 0 ? 0 : Double(base[row + col + ch])
            }
            var o = output
            for (y0, y1, fy) in ys {
                for (x0, x1, fx) in xs {
                    for ch in 0..<3 {
                        let top = (1 - fx) * at(y0, x0, ch) + fx * at(y0, x1, ch)
                        let bottom = (1 - fx) * at(y1, x0, ch) + fx * at(y1, x1, ch)
                        o.pointee = Float(((1 - fy) * top + fy * bottom) * scale + offset)
                        o += 1
                    }
                }
            }
        }
        return box
    }

    /// `index · stride` when `index` lies in `0 ..< count`, else −1 (outside the image).
    @inline(__always)
    static func offset(_ index: Int, _ count: Int, _ stride: Int) -> Int {
        index >= 0 && index < count ? index * stride : -1
    }

    /// Resizes the whole image to `width`×`height` with the same half-pixel bilinear sampler.
    public func resized(width ow: Int, height oh: Int) throws -> RGBImage {
        guard ow > 0, oh > 0 else { throw ImageError.invalidDimensions(width: ow, height: oh) }
        let xs = Self.axisTaps(source: width, output: ow), ys = Self.axisTaps(source: height, output: oh)
        var out = [UInt8](repeating: 0, count: ow * oh * 3)
        for (oy, ty) in ys.enumerated() {
            for (ox, tx) in xs.enumerated() {
                for ch in 0..<3 {
                    func at(_ x: Int, _ y: Int) -> Double { Double(pixels[(y * width + x) * 3 + ch]) }
                    let top = (1 - tx.f) * at(tx.i0, ty.i0) + tx.f * at(tx.i1, ty.i0)
                    let bottom = (1 - tx.f) * at(tx.i0, ty.i1) + tx.f * at(tx.i1, ty.i1)
                    out[(oy * ow + ox) * 3 + ch] = UInt8(max(0, min(255, ((1 - ty.f) * top + ty.f * bottom).rounded())))
                }
            }
        }
        return RGBImage(uncheckedWidth: ow, height: oh, pixels: out)
    }

    /// Warps the image into a `width`×`height` crop. `transform` maps image pixel-index
    /// coordinates (pixel centres at integers) to crop pixel-index coordinates; crop pixel
    /// (u, v) samples the image at transform⁻¹(u, v), bilinear over the 2×2 neighbours,
    /// neighbours outside the image counting as 0. Writes `value · scale + offset` as Float
    /// (NHWC, 3 channels) into `output`. Throws if the transform is singular.
    public func warpAffine(
        _ transform: AffineMatrix, width ow: Int, height oh: Int, scale: Double = 1, offset: Double = 0,
        into output: UnsafeMutablePointer<Float>
    ) throws {
        guard let inv = transform.inverted() else {
            throw ImageError.invalidDimensions(width: ow, height: oh)
        }
        pixels.withUnsafeBufferPointer { p in
            for v in 0..<oh {
                for u in 0..<ow {
                    let (sx, sy) = inv.apply(Double(u), Double(v))
                    let fx0 = sx.rounded(.down), fy0 = sy.rounded(.down)
                    let o = (v * ow + u) * 3
                    guard fx0 > -2, fy0 > -2, fx0 < Double(width), fy0 < Double(height) else {
                        output[o] = Float(offset); output[o + 1] = Float(offset); output[o + 2] = Float(offset)
                        continue
                    }
                    let x0 = Int(fx0), y0 = Int(fy0), fx = sx - fx0, fy = sy - fy0
                    for ch in 0..<3 {
                        @inline(__always) func at(_ x: Int, _ y: Int) -> Double {
                            guard x >= 0, x < width, y >= 0, y < height else { return 0 }
                            return Double(p[(y * width + x) * 3 + ch])
                        }
                        let top = (1 - fx) * at(x0, y0) + fx * at(x0 + 1, y0)
                        let bottom = (1 - fx) * at(x0, y0 + 1) + fx * at(x0 + 1, y0 + 1)
                        output[o + ch] = Float(((1 - fy) * top + fy * bottom) * scale + offset)
                    }
                }
            }
        }
    }

    /// The same warp as an 8-bit image (rounded), for saving and drawing crops.
    public func warpedAffine(_ transform: AffineMatrix, width ow: Int, height oh: Int) throws -> RGBImage {
        guard ow > 0, oh > 0, ow * oh <= 1 << 26 else { throw ImageError.invalidDimensions(width: ow, height: oh) }
        var floats = [Float](repeating: 0, count: ow * oh * 3)
        try floats.withUnsafeMutableBufferPointer { try warpAffine(transform, width: ow, height: oh, into: $0.baseAddress!) }
        return RGBImage(uncheckedWidth: ow, height: oh, pixels: floats.map { UInt8(max(0, min(255, $0.rounded()))) })
    }
}
