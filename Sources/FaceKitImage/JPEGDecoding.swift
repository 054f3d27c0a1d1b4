// JPEG through libjpeg (CFaceKitCodecs): whole images, scaled in the DCT domain (1/2, 1/4, 1/8),
// and crops of a scaled image. The decoder settings are TurboJPEG's defaults (accurate integer
// DCT, fancy upsampling), so a full decode gives the reference bytes.
import CFaceKitCodecs

extension ImageDecoder {
    /// A JPEG header, read by libjpeg.
    struct JPEGHeader {
        var info: fk_jpeg_info
        var width: Int { Int(info.width) }
        var height: Int { Int(info.height) }
    }

    /// Reads the header, refusing CMYK and (when `checksBudget`) sizes the budget does not allow
    /// for a whole decode at 1/`denominator`.
    func jpegHeader(_ bytes: UnsafeRawBufferPointer, source: String, denominator: Int = 1, checksBudget: Bool = true) throws -> JPEGHeader {
        var info = fk_jpeg_info()
        let base = bytes.baseAddress!.assumingMemoryBound(to: UInt8.self)
        if fk_jpeg_read_header(base, bytes.count, Int32(denominator), &info) != 0 {
            throw jpegError(info, bytes, source, context: "JPEG header: ")
        }
        if info.color == Int32(FK_JPEG_COLOR_CMYK) {
            throw ImageError.unsupportedColorSpace(source: source, colorSpace: "CMYK JPEG")
        }
        let header = JPEGHeader(info: info)
        if checksBudget {
            try checkJPEGBudget(header, outputPixels: Int(info.outWidth) * Int(info.outHeight), dataSize: bytes.count, source: source)
        }
        return header
    }

    /// The pixel budget bounds the pixels a decode holds in memory. A full decode holds every
    /// pixel. A scaled decode, or a crop of one, of a sequential Huffman-coded JPEG holds only its output, so a
    /// photo over the budget is read when its scaled output fits, unless the file is too small
    /// to hold the blocks its header claims (at least one bit per 8×8 block: a decompression
    /// bomb, refused as a full decode would refuse it). Progressive and arithmetic-coded files
    /// keep the whole-size rule: libjpeg buffers all their coefficients, and arithmetic coding
    /// can make any size plausible.
    func checkJPEGBudget(_ header: JPEGHeader, outputPixels: Int, dataSize: Int, source: String) throws {
        let w = header.width, h = header.height
        guard w > 0, h > 0 else { throw ImageError.corrupt(source: source, detail: "header gives size \(w)x\(h)") }
        if w * h <= pixelBudget { return }
        let info = header.info
        let fitsScaled = outputPixels <= pixelBudget
        let plausible = Int64(dataSize) * 8 >= info.blocks
        guard fitsScaled, info.multiScan == 0, info.arithmetic == 0, plausible else {
            throw ImageError.tooLarge(source: source, width: w, height: h, budget: pixelBudget)
        }
    }

    /// libjpeg's own working memory cap: what a progressive full decode within the budget needs
    /// (coefficients of up to 3 full-resolution components at 2 bytes), with room to spare.
    var jpegMemoryLimit: Int { max(pixelBudget, 1 << 20) * 8 }

    /// Decodes a JPEG (as stored, no EXIF orientation) at 1/`denominator` scale, optionally
    /// only `columns` × `rows` of the scaled image (the columns widened to the decoder's
    /// block boundaries: the result's `x` says where it starts).
    func decodeJPEG(_ bytes: UnsafeRawBufferPointer, source: String, denominator: Int = 1,
                    columns: Range<Int>? = nil, rows: Range<Int>? = nil) throws -> (image: RGBImage, x: Int, y: Int) {
        let header = try jpegHeader(bytes, source: source, denominator: denominator, checksBudget: false)
        let outW = Int(header.info.outWidth), outH = Int(header.info.outHeight)
        let base = bytes.baseAddress!.assumingMemoryBound(to: UInt8.self)
        let cols = columns.map { $0.clamped(to: 0..<outW) } ?? 0..<outW
        let rowRange = rows.map { $0.clamped(to: 0..<outH) } ?? 0..<outH
        guard !cols.isEmpty, !rowRange.isEmpty else { throw ImageError.invalidDimensions(width: cols.count, height: rowRange.count) }
        // The budget counts the pixels this decode holds: the (widened) crop at the reduction.
        let widened = min(outW, cols.count + 2 * 16 / denominator + 16)
        try checkJPEGBudget(header, outputPixels: widened * rowRange.count, dataSize: bytes.count, source: source)
        var info = fk_jpeg_info()
        let whole = cols == 0..<outW && rowRange == 0..<outH
        var cropX = 0, cropWidth = outW
        if !whole {   // learn the widened crop first
            if fk_jpeg_decode(base, bytes.count, Int32(denominator), Int32(cols.lowerBound), Int32(cols.count),
                              Int32(rowRange.lowerBound), Int32(rowRange.count), nil, 0, jpegMemoryLimit, &info) != 0 {
                throw jpegError(info, bytes, source, context: "")
            }
            cropX = Int(info.cropX); cropWidth = Int(info.cropWidth)
        }
        var pixels = [UInt8](repeating: 0, count: cropWidth * rowRange.count * 3)
        let status = pixels.withUnsafeMutableBufferPointer { out in
            fk_jpeg_decode(base, bytes.count, Int32(denominator), whole ? 0 : Int32(cols.lowerBound), whole ? 0 : Int32(cols.count),
                           Int32(rowRange.lowerBound), Int32(rowRange.count), out.baseAddress, cropWidth * 3, jpegMemoryLimit, &info)
        }
        if status != 0 { throw jpegError(info, bytes, source, context: "") }
        guard Int(info.cropX) == cropX, Int(info.cropWidth) == cropWidth else {
            throw ImageError.corrupt(source: source, detail: "the JPEG decoder changed the crop between two passes")
        }
        return (RGBImage(uncheckedWidth: cropWidth, height: rowRange.count, pixels: pixels), cropX, rowRange.lowerBound)
    }

    /// libjpeg's message as a truncated-data or corrupt-data error. libjpeg's warnings
    /// (premature end, corrupt data) count as errors, as they did with TurboJPEG.
    func jpegError(_ info: fk_jpeg_info, _ bytes: UnsafeRawBufferPointer, _ source: String, context: String) -> ImageError {
        var copy = info.message
        let message = withUnsafeBytes(of: &copy) { String(decoding: $0.prefix(while: { $0 != 0 }), as: UTF8.self) }
        if message == "CMYK JPEG" { return .unsupportedColorSpace(source: source, colorSpace: message) }
        if message.contains("Premature end") || !hasEndOfImage(bytes) {
            return .truncated(source: source, detail: context + message)
        }
        return .corrupt(source: source, detail: context + (message.isEmpty ? "unknown libjpeg error" : message))
    }

    func hasEndOfImage(_ bytes: UnsafeRawBufferPointer) -> Bool {
        var n = bytes.count
        while n >= 2 {   // allow trailing padding after EOI
            if bytes[n - 2] == 0xFF && bytes[n - 1] == 0xD9 { return true }
            if bytes[n - 1] != 0 && bytes[n - 1] != 0xFF && bytes[n - 1] != 0x0A { return false }
            n -= 1
        }
        return false
    }
}
