import FaceKitImage
import FaceKitTestSupport
import Foundation
import Testing

@Suite struct ResamplingTests {
    @Test("letterbox resize reproduces the reference BlazeFace inputs", arguments: [
        ("astronaut", "eileen_collins/skimage_astronaut.png"), ("obama_biden", "group/obama_biden_oval_office.jpg"),
    ], ["blazeface-front", "blazeface-back"])
    func detectorInput(photo: (String, String), model: String) throws {
        let image = try ImageDecoder().decode(contentsOfFile: Shared.images.appendingPathComponent(photo.1).path)
        let n = model == "blazeface-front" ? 128 : 256
        var out = [Float](repeating: .nan, count: n * n * 3)
        let box = out.withUnsafeMutableBufferPointer { image.letterboxResized(to: n, scale: 1 / 127.5, offset: -1, into: $0.baseAddress!) }
        let reference = try Shared.tensorFile("\(photo.0).\(model).input.f32")
        // `out` starts as NaN: an element the resize never writes, or writes as NaN, fails here.
        let worst = worstDifference(out, reference)
        #expect(worst.isWithin(1e-6), "max |diff| \(worst)")
        if photo.0 == "obama_biden" { #expect(box == Letterbox(width: 1126, height: 661) && box.padTop == 232) }
    }

    @Test("the affine warp reproduces the reference aligned crops")
    func alignedCrops() throws {
        let index = try Shared.referenceJSON("tensors/index.json")["files"] as! [[String: Any]]
        let faces = try Shared.referenceJSON("embeddings.json")["faces"] as! [[String: Any]]
        let inputs = index.filter { ($0["model"] as? String) == "arcface-se-mobilefacenet" && ($0["role"] as? String) == "input" && $0["photo"] != nil }
        #expect(inputs.count == 8)
        for entry in inputs {
            let photo = entry["photo"] as! String, faceIndex = entry["faceIndex"] as! Int
            let face = try #require(faces.first { ($0["photo"] as? String) == photo && ($0["faceIndex"] as? Int) == faceIndex })
            let m = (face["arcface4"] as! [String: Any])["matrix"] as! [[Double]]
            let transform = AffineMatrix(m[0][0], m[0][1], m[0][2], m[1][0], m[1][1], m[1][2])
            let image = try ImageDecoder().decode(contentsOfFile: Shared.images.appendingPathComponent(photo).path)
            var out = [Float](repeating: .nan, count: 112 * 112 * 3)
            try out.withUnsafeMutableBufferPointer {
                try image.warpAffine(transform, width: 112, height: 112, scale: 1 / 128, offset: -127.5 / 128, into: $0.baseAddress!)
            }
            let reference = try Shared.tensorFile(entry["file"] as! String)
            let worst = worstDifference(out, reference)
            #expect(worst.isWithin(1e-5), "\(photo)#\(faceIndex): max |diff| \(worst)")
        }
    }

    @Test("affine inverse and composition")
    func affine() throws {
        let t = AffineMatrix(0.5, -0.2, 10, 0.2, 0.5, -3)
        let inv = try #require(t.inverted())
        let p = inv.apply(t.apply(3, 7).x, t.apply(3, 7).y)
        #expect(abs(p.x - 3) < 1e-12 && abs(p.y - 7) < 1e-12)
        let id = inv.concatenating(t)
        #expect(abs(id.a - 1) < 1e-12 && abs(id.b) < 1e-12 && abs(id.c) < 1e-12)
        #expect(AffineMatrix(1, 2, 0, 2, 4, 0).inverted() == nil)
    }

    @Test("resize samples half-pixel centres")
    func resize() throws {
        let image = try RGBImage(width: 2, height: 1, pixels: [0, 0, 0, 100, 100, 100])
        let up = try image.resized(width: 4, height: 1)
        // output x = 0..3 → source s = (o + 0.5)/2 − 0.5 = −0.25 (clamped 0), 0.25, 0.75, 1.25 (clamped 1)
        #expect(up.pixels.enumerated().filter { $0.offset % 3 == 0 }.map(\.element) == [0, 25, 75, 100])
    }
}
