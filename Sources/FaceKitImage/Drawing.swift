// Pure-Swift drawing on RGB images: rectangles, dots, lines and a 5×7 bitmap font,
// enough to annotate detections. Everything is clipped to the image.

/// An 8-bit RGB colour.
public struct RGBColor: Sendable, Equatable {
    /// The red, green and blue components.
    public var r, g, b: UInt8
    /// Creates a colour from its components.
    public init(_ r: UInt8, _ g: UInt8, _ b: UInt8) { self.r = r; self.g = g; self.b = b }

    // The colours of the annotations.

    public static let red = RGBColor(230, 40, 40)
    public static let green = RGBColor(40, 210, 70)
    public static let yellow = RGBColor(250, 220, 40)
    public static let cyan = RGBColor(40, 200, 230)
    public static let magenta = RGBColor(220, 60, 220)
    public static let white = RGBColor(255, 255, 255)
    public static let black = RGBColor(0, 0, 0)
}

extension RGBImage {
    /// Fills the rectangle [x0, x1) × [y0, y1), clipped.
    public mutating func fillRect(x0: Int, y0: Int, x1: Int, y1: Int, _ c: RGBColor) {
        let xa = max(0, x0), xb = min(width, x1), ya = max(0, y0), yb = min(height, y1)
        guard xa < xb, ya < yb else { return }
        for y in ya..<yb { for x in xa..<xb { setPixel(x: x, y: y, c) } }
    }

    /// Draws the outline of a rectangle given in continuous pixel coordinates.
    public mutating func strokeRect(x: Double, y: Double, width w: Double, height h: Double, thickness: Int, _ c: RGBColor) {
        guard x.isFinite, y.isFinite, w.isFinite, h.isFinite else { return }
        let x0 = Int(x.rounded(.down)), y0 = Int(y.rounded(.down))
        let x1 = Int((x + w).rounded(.up)), y1 = Int((y + h).rounded(.up))
        let t = max(1, thickness)
        fillRect(x0: x0, y0: y0, x1: x1, y1: y0 + t, c)
        fillRect(x0: x0, y0: y1 - t, x1: x1, y1: y1, c)
        fillRect(x0: x0, y0: y0, x1: x0 + t, y1: y1, c)
        fillRect(x0: x1 - t, y0: y0, x1: x1, y1: y1, c)
    }

    /// Fills a disc centred at continuous coordinates (x, y).
    public mutating func fillCircle(x: Double, y: Double, radius: Double, _ c: RGBColor) {
        guard x.isFinite, y.isFinite, radius > 0, radius < 1e5 else { return }
        let r2 = radius * radius
        for py in Int((y - radius).rounded(.down))...Int((y + radius).rounded(.up)) {
            for px in Int((x - radius).rounded(.down))...Int((x + radius).rounded(.up)) {
                let dx = Double(px) + 0.5 - x, dy = Double(py) + 0.5 - y
                if dx * dx + dy * dy <= r2 { setPixel(x: px, y: py, c) }
            }
        }
    }

    /// Draws `text` with the built-in 5×7 font, each font pixel `scale`×`scale`, top-left at (x, y),
    /// on a filled background box. Unknown characters draw as a blank.
    public mutating func drawText(_ text: String, x: Int, y: Int, scale: Int, color: RGBColor, background: RGBColor?) {
        let s = max(1, scale)
        let glyphs = Array(text.uppercased())
        if let background { fillRect(x0: x - s, y0: y - s, x1: x + glyphs.count * 6 * s, y1: y + 8 * s, background) }
        for (i, ch) in glyphs.enumerated() {
            guard let rows = BitmapFont.glyphs[ch] else { continue }
            for (ry, bits) in rows.enumerated() {
                for rx in 0..<5 where bits & (0b10000 >> rx) != 0 {
                    fillRect(x0: x + (i * 6 + rx) * s, y0: y + ry * s, x1: x + (i * 6 + rx + 1) * s, y1: y + (ry + 1) * s, color)
                }
            }
        }
    }

    /// Pastes `other` with its top-left corner at (x, y), clipped.
    public mutating func paste(_ other: RGBImage, x: Int, y: Int) {
        for oy in 0..<other.height {
            for ox in 0..<other.width {
                let p = other[ox, oy]
                setPixel(x: x + ox, y: y + oy, RGBColor(p.r, p.g, p.b))
            }
        }
    }
}

/// A 5×7 font: digits, capital letters and a little punctuation; each row's low 5 bits, MSB left.
enum BitmapFont {
    static let glyphs: [Character: [UInt8]] = [
        "0": [0x0E, 0x11, 0x13, 0x15, 0x19, 0x11, 0x0E], "1": [0x04, 0x0C, 0x04, 0x04, 0x04, 0x04, 0x0E],
        "2": [0x0E, 0x11, 0x01, 0x02, 0x04, 0x08, 0x1F], "3": [0x1F, 0x02, 0x04, 0x02, 0x01, 0x11, 0x0E],
        "4": [0x02, 0x06, 0x0A, 0x12, 0x1F, 0x02, 0x02], "5": [0x1F, 0x10, 0x1E, 0x01, 0x01, 0x11, 0x0E],
        "6": [0x06, 0x08, 0x10, 0x1E, 0x11, 0x11, 0x0E], "7": [0x1F, 0x01, 0x02, 0x04, 0x08, 0x08, 0x08],
        "8": [0x0E, 0x11, 0x11, 0x0E, 0x11, 0x11, 0x0E], "9": [0x0E, 0x11, 0x11, 0x0F, 0x01, 0x02, 0x0C],
        ".": [0, 0, 0, 0, 0, 0x0C, 0x0C], "-": [0, 0, 0, 0x1F, 0, 0, 0], ":": [0, 0x0C, 0x0C, 0, 0x0C, 0x0C, 0],
        "%": [0x18, 0x19, 0x02, 0x04, 0x08, 0x13, 0x03], "#": [0x0A, 0x0A, 0x1F, 0x0A, 0x1F, 0x0A, 0x0A],
        "_": [0, 0, 0, 0, 0, 0, 0x1F], "/": [0x01, 0x01, 0x02, 0x04, 0x08, 0x10, 0x10], " ": [0, 0, 0, 0, 0, 0, 0],
        "A": [0x0E, 0x11, 0x11, 0x1F, 0x11, 0x11, 0x11], "B": [0x1E, 0x11, 0x11, 0x1E, 0x11, 0x11, 0x1E],
        "C": [0x0E, 0x11, 0x10, 0x10, 0x10, 0x11, 0x0E], "D": [0x1C, 0x12, 0x11, 0x11, 0x11, 0x12, 0x1C],
        "E": [0x1F, 0x10, 0x10, 0x1E, 0x10, 0x10, 0x1F], "F": [0x1F, 0x10, 0x10, 0x1E, 0x10, 0x10, 0x10],
        "G": [0x0E, 0x11, 0x10, 0x17, 0x11, 0x11, 0x0F], "H": [0x11, 0x11, 0x11, 0x1F, 0x11, 0x11, 0x11],
        "I": [0x0E, 0x04, 0x04, 0x04, 0x04, 0x04, 0x0E], "J": [0x07, 0x02, 0x02, 0x02, 0x02, 0x12, 0x0C],
        "K": [0x11, 0x12, 0x14, 0x18, 0x14, 0x12, 0x11], "L": [0x10, 0x10, 0x10, 0x10, 0x10, 0x10, 0x1F],
        "M": [0x11, 0x1B, 0x15, 0x15, 0x11, 0x11, 0x11], "N": [0x11, 0x11, 0x19, 0x15, 0x13, 0x11, 0x11],
        "O": [0x0E, 0x11, 0x11, 0x11, 0x11, 0x11, 0x0E], "P": [0x1E, 0x11, 0x11, 0x1E, 0x10, 0x10, 0x10],
        "Q": [0x0E, 0x11, 0x11, 0x11, 0x15, 0x12, 0x0D], "R": [0x1E, 0x11, 0x11, 0x1E, 0x14, 0x12, 0x11],
        "S": [0x0F, 0x10, 0x10, 0x0E, 0x01, 0x01, 0x1E], "T": [0x1F, 0x04, 0x04, 0x04, 0x04, 0x04, 0x04],
        "U": [0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x0E], "V": [0x11, 0x11, 0x11, 0x11, 0x11, 0x0A, 0x04],
        "W": [0x11, 0x11, 0x11, 0x15, 0x15, 0x15, 0x0A], "X": [0x11, 0x11, 0x0A, 0x04, 0x0A, 0x11, 0x11],
        "Y": [0x11, 0x11, 0x11, 0x0A, 0x04, 0x04, 0x04], "Z": [0x1F, 0x01, 0x02, 0x04, 0x08, 0x10, 0x1F],
    ]
}
