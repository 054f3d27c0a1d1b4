import FaceKitTestSupport
import Foundation
import Testing

@Suite(.serialized) struct CLITests {
    @Test("detect --json: one object per image; an unreadable image is one stderr line and exit 1")
    func detect() throws {
        let r = try CLI.run(["detect", "--json", CLI.image("group/obama_biden_oval_office.jpg"), "/nonexistent/x.jpg"])
        #expect(r.status == 1)
        #expect(r.stderr.split(separator: "\n").count == 1 && r.stderr.contains("/nonexistent/x.jpg"))
        let o = try r.json()
        #expect(o["width"] as? Int == 1126 && o["height"] as? Int == 661)
        let faces = try #require(o["faces"] as? [[String: Any]])
        #expect(faces.count == 2)
        let kp = try #require(faces[0]["keypoints"] as? [String: [Double]])
        #expect(Set(kp.keys) == ["rightEye", "leftEye", "noseTip", "mouthCenter", "rightEarTragion", "leftEarTragion"])
        #expect((faces[0]["box"] as? [String: Double])?.keys.sorted() == ["height", "width", "x", "y"])
        let annotated = try Shared.temporaryDirectory().appendingPathComponent("a.png").path
        let a = try CLI.run(["detect", "--model", "front", CLI.image("eileen_collins/skimage_astronaut.png"), "--annotate", annotated])
        #expect(a.status == 0 && FileManager.default.fileExists(atPath: annotated))
        // The Solvay photo: the single pass (--tiling off) and the default tiled detection.
        let solvay = CLI.image("group/solvay1927_colorized.jpg")
        let single = try CLI.run(["detect", "--json", "--tiling", "off", solvay]), tiled = try CLI.run(["detect", "--json", solvay])
        #expect((try single.json()["faces"] as? [[String: Any]])?.count == 30)
        #expect((try tiled.json()["faces"] as? [[String: Any]])?.count == 29)
    }

    @Test("JSON keys come in the documented order, and file names are escaped")
    func jsonOrderAndEscaping() throws {
        // A copy of a photo under a name with a quote, a backslash and a tab.
        let dir = try Shared.temporaryDirectory()
        let odd = dir.appendingPathComponent("we\"ird\\na\tme.png").path
        try FileManager.default.copyItem(atPath: CLI.image("eileen_collins/skimage_astronaut.png"), toPath: odd)
        let r = try CLI.run(["embed", "--json", odd])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.hasPrefix("{\"image\": "), "\(r.stdout.prefix(80))")
        #expect(try r.json()["image"] as? String == odd)
        let line = r.lines[0]
        let order = ["\"faces\": [{\"box\": {\"x\": ", "\"score\": ", "\"keypoints\": {\"rightEye\": ", "\"leftEarTragion\": ", "\"embedding\": ["]
        let positions = order.map { line.range(of: $0)?.lowerBound }
        #expect(positions.allSatisfy { $0 != nil }, "\(line.prefix(300))")
        #expect(zip(positions, positions.dropFirst()).allSatisfy { a, b in a! < b! }, "\(line.prefix(300))")
    }

    @Test("embed and compare print the documented JSON")
    func embedCompare() throws {
        let crops = try Shared.temporaryDirectory("crops")
        let e = try CLI.run(["embed", "--json", "--save-crops", crops.path, CLI.image("joe_biden/official_vp_portrait.jpg")])
        #expect(e.status == 0)
        let face = try #require((try e.json()["faces"] as? [[String: Any]])?.first)
        let vector = try #require(face["embedding"] as? [Double])
        #expect(vector.count == 256 && abs(vector.reduce(0) { $0 + $1 * $1 } - 1) < 1e-3)
        let crop = crops.appendingPathComponent("official_vp_portrait_face0.png").path
        #expect(FileManager.default.fileExists(atPath: crop))
        let aligned = try CLI.run(["embed", "--json", "--aligned", crop])
        let v2 = try #require(((try aligned.json()["faces"] as? [[String: Any]])?.first?["embedding"]) as? [Double])
        #expect(zip(vector, v2).reduce(0) { $0 + $1.0 * $1.1 } > 0.99, "the saved crop embeds like the detected face")
        let c = try CLI.run(["compare", "--json", CLI.image("joe_biden/official_vp_portrait.jpg"), CLI.image("joe_biden/oval_office_standing.jpg")])
        #expect(c.status == 0)
        let o = try c.json()
        #expect(o["match"] as? Bool == true && (o["similarity"] as? Double ?? 0) > 0.37 && o["distance"] != nil && o["threshold"] as? Double == 0.37)
        // embed and compare run the same pipeline: the embeddings embed prints give compare's similarity.
        let other = try CLI.run(["embed", "--json", CLI.image("joe_biden/oval_office_standing.jpg")])
        let v3 = try #require(((try other.json()["faces"] as? [[String: Any]])?.first?["embedding"]) as? [Double])
        let dot = zip(vector, v3).reduce(0) { $0 + $1.0 * $1.1 }
        #expect(abs(dot - (o["similarity"] as? Double ?? 9)) < 1e-3, "embed gives \(dot), compare \(o["similarity"] ?? "nil")")
        let none = try CLI.run(["compare", CLI.image("joe_biden/official_vp_portrait.jpg"), Shared.reference.appendingPathComponent("README.md").path])
        #expect(none.status != 0 && none.stderr.split(separator: "\n").count == 1)
    }

    @Test("enroll, identify and gallery list/rename/remove")
    func gallery() throws {
        let g = try Shared.temporaryDirectory("cli-gallery").appendingPathComponent("people.fkg").path
        #expect(try CLI.run(["enroll", "--gallery", g, "obama", CLI.image("barack_obama/official_portrait_2012.jpg")]).status == 0)
        let biden = try CLI.run(["enroll", "--json", "--gallery", g, "biden", CLI.image("joe_biden/official_vp_portrait.jpg"), "/missing.jpg"])
        let added = try biden.json()["added"] as? Int
        #expect(biden.status == 1 && added == 1)
        let id = try CLI.run(["identify", "--json", "--gallery", g, CLI.image("group/obama_biden_oval_office.jpg")])
        #expect(id.status == 0)
        let faces = try #require(try id.json()["faces"] as? [[String: Any]])
        #expect(Set(faces.compactMap { $0["identity"] as? String }) == ["obama", "biden"])
        #expect((faces[0]["matches"] as? [[String: Any]])?.count == 2)
        let renamed = try CLI.run(["gallery", "rename", "--json", "--gallery", g, "obama", "barack"])
        let to = try renamed.json()["to"] as? String
        #expect(renamed.status == 0 && to == "barack")
        let missing = try CLI.run(["gallery", "remove", "--gallery", g, "nobody"])
        #expect(missing.status != 0 && missing.stderr.split(separator: "\n").count == 1)
        let removed = try CLI.run(["gallery", "remove", "--json", "--gallery", g, "biden"])
        let remaining = try removed.json()["people"] as? Int
        #expect(removed.status == 0 && remaining == 1)
        let out = try Shared.temporaryDirectory("annotate").appendingPathComponent("a.png").path
        let annotated = try CLI.run(["annotate", "--json", "--crops", "--gallery", g, CLI.image("group/obama_biden_oval_office.jpg"), "-o", out])
        let drawn = try annotated.json()
        #expect(annotated.status == 0 && (drawn["width"] as? Int ?? 0) > 1126)
        #expect((drawn["faces"] as? [[String: Any]])?.compactMap { $0["label"] as? String } == ["barack", "?"])
        let list = try CLI.run(["gallery", "list", "--json", "--gallery", g])
        #expect((try list.json()["people"] as? [[String: Any]])?.compactMap { $0["identifier"] as? String } == ["barack"])
        try Data("garbage".utf8).write(to: URL(fileURLWithPath: g))
        let bad = try CLI.run(["gallery", "list", "--gallery", g])
        #expect(bad.status != 0 && bad.stderr.contains("not a valid FaceKit gallery"))
    }

    @Test("evaluate on a small pairs file built from the sample photos")
    func evaluate() throws {
        let dir = try Shared.temporaryDirectory("pairs")
        let csv = """
        path_a,path_b,same
        joe_biden/official_vp_portrait.jpg,joe_biden/oval_office_standing.jpg,1
        barack_obama/official_portrait_2012.jpg,barack_obama/oval_office_standing.jpg,1
        eileen_collins/nasa_portrait.jpg,eileen_collins/skimage_astronaut.png,1
        joe_biden/official_vp_portrait.jpg,barack_obama/official_portrait_2012.jpg,0
        nick_hague/nasa_portrait.jpg,andrew_morgan/nasa_portrait.jpg,0
        eileen_collins/nasa_portrait.jpg,joe_biden/oval_office_standing.jpg,0
        nick_hague/nasa_portrait.jpg,nick_hague/no_such_photo.jpg,1
        """
        try csv.write(to: dir.appendingPathComponent("pairs.csv"), atomically: true, encoding: .utf8)
        let roc = dir.appendingPathComponent("roc.csv").path
        let r = try CLI.run(["evaluate", "--json", "--pairs", dir.appendingPathComponent("pairs.csv").path, "--root", Shared.images.path, "--roc", roc])
        #expect(r.status == 1, "a skipped pair makes the exit status non-zero")
        let o = try r.json()
        #expect(o["evaluated"] as? Int == 6 && o["samePairs"] as? Int == 3 && o["differentPairs"] as? Int == 3)
        #expect(o["auc"] as? Double == 1 && o["bestAccuracy"] as? Double == 1)
        #expect((o["skippedPairs"] as? [Any])?.count == 1 && (o["unusableImages"] as? [String: String])?.count == 1)
        #expect((o["tarAtFar"] as? [[String: Any]])?.count == 3)
        #expect(try String(contentsOfFile: roc, encoding: .utf8).hasPrefix("threshold,true_accept_rate,false_accept_rate\n"))
    }

    @Test("missing weights offline say how to provide them; bad flags are usage errors")
    func errors() throws {
        let empty = try Shared.temporaryDirectory("empty-cache").path
        let r = try CLI.run(["detect", "--offline", CLI.image("eileen_collins/skimage_astronaut.png")], weights: false, cache: empty)
        #expect(r.status != 0 && r.stderr.contains("FACEKIT_WEIGHTS") && r.stderr.contains("facekit weights fetch"))
        #expect(r.stderr.split(separator: "\n").count == 1)
        let usage = try CLI.run(["detect", "--min-score", "7", CLI.image("eileen_collins/skimage_astronaut.png")])
        #expect(usage.status != 0 && usage.stderr.contains("--min-score"))
        let minFace = try CLI.run(["detect", "--min-face", "0", CLI.image("eileen_collins/skimage_astronaut.png")])
        #expect(minFace.status != 0 && minFace.stderr.contains("--min-face"))
        let tiling = try CLI.run(["detect", "--tiling", "sometimes", CLI.image("eileen_collins/skimage_astronaut.png")])
        #expect(tiling.status != 0 && tiling.stderr.contains("--tiling"))
        let verify = try CLI.run(["weights", "verify"])
        #expect(verify.status == 0 && verify.stdout.contains("arcface-se-mobilefacenet: OK"))
        let verifyJSON = try CLI.run(["weights", "verify", "--json", "blazeface-front"])
        let verified = try verifyJSON.json()["verified"] as? Bool
        #expect(verifyJSON.status == 0 && verified == true)
        let manifest = try CLI.run(["weights", "manifest"])
        #expect((try JSONSerialization.jsonObject(with: Data(manifest.stdout.utf8)) as? [String: Any])?["formatVersion"] as? Int == 1)
    }

    @Test("weights fetch downloads every model from a mirror into an empty cache, verified; then convert, list and offline use")
    func weightsFetchAndConvert() throws {
        let server = try LoopbackHTTPServer { path in
            let url = Shared.weights.appendingPathComponent(String(path.dropFirst()))
            guard !path.contains(".."), let data = try? Data(contentsOf: url) else { return .init(status: 404, body: Data("no".utf8)) }
            return .init(body: data)
        }
        defer { server.stop() }
        let cache = try Shared.temporaryDirectory("cli-fetch").path
        let mirror = ["--mirror", server.baseURL.absoluteString]
        let fetched = try CLI.run(["weights", "fetch", "--json"] + mirror, weights: false, cache: cache)
        #expect(fetched.status == 0, "\(fetched.stderr)")
        let models = ["arcface-se-mobilefacenet", "blazeface-back", "blazeface-front"]
        let lines = try fetched.lines.indices.map { try fetched.json($0) }
        #expect(Set(lines.compactMap { $0["model"] as? String }) == Set(models))
        #expect(lines.allSatisfy { $0["source"] as? String == "downloaded" }, "\(fetched.stdout)")
        for model in models {
            #expect(server.requests.contains("/\(model)/model.json"), "\(server.requests)")
            let dir = try #require(lines.first { $0["model"] as? String == model }?["directory"] as? String)
            #expect(dir.hasPrefix(cache), "\(model) went to \(dir), not the cache")
            let files = try FileManager.default.contentsOfDirectory(atPath: dir).sorted()
            #expect(files.contains("model.json") && files.contains { $0.hasSuffix(".bin") } && !files.contains { $0.contains("partial") || $0.hasPrefix(".") }, "\(files)")
        }
        // A second fetch finds everything in the cache and downloads nothing.
        let requests = server.requests.count
        let again = try CLI.run(["weights", "fetch", "--json"] + mirror, weights: false, cache: cache)
        let source = try again.json()["source"] as? String
        #expect(again.status == 0 && source == "cache")
        #expect(server.requests.count == requests)
        // convert writes the safetensors files; list reports them.
        let converted = try CLI.run(["weights", "convert", "--json", "--offline"], weights: false, cache: cache)
        #expect(converted.status == 0, "\(converted.stderr)")
        for line in converted.lines.indices {
            let path = try #require(try converted.json(line)["converted"] as? String)
            #expect(path.hasPrefix(cache) && path.hasSuffix(".safetensors") && FileManager.default.fileExists(atPath: path), "\(path)")
        }
        #expect(converted.lines.count == 3)
        let list = try CLI.run(["weights", "list", "--json", "--offline"], weights: false, cache: cache)
        let listed = try list.lines.indices.map { try list.json($0)["converted"] }
        #expect(listed.count == 3 && listed.allSatisfy { $0 is String }, "\(list.stdout)")
        // The fetched cache is all a detection needs, offline.
        let detect = try CLI.run(["detect", "--json", "--offline", CLI.image("eileen_collins/skimage_astronaut.png")], weights: false, cache: cache)
        let detected = try detect.json()["faces"] as? [Any]
        #expect(detect.status == 0 && detected?.count == 1, "\(detect.stderr)")
        #expect(server.requests.count == requests, "nothing was downloaded after the fetch")
    }

    @Test("weights fetch from a mirror serving corrupt files fails with the digest and leaves nothing in the cache")
    func weightsFetchCorrupt() throws {
        let server = try LoopbackHTTPServer { path in
            let url = Shared.weights.appendingPathComponent(String(path.dropFirst()))
            guard !path.contains(".."), var data = try? Data(contentsOf: url) else { return .init(status: 404, body: Data("no".utf8)) }
            if path.hasSuffix(".bin") { data[data.count / 2] ^= 0x01 }
            return .init(body: data)
        }
        defer { server.stop() }
        let cache = try Shared.temporaryDirectory("cli-fetch-bad").path
        let r = try CLI.run(["weights", "fetch", "blazeface-front", "--mirror", server.baseURL.absoluteString], weights: false, cache: cache)
        #expect(r.status != 0 && r.stderr.contains("SHA-256"), "\(r.stderr)")
        #expect(r.stderr.split(separator: "\n").count == 1)
        let dir = URL(fileURLWithPath: cache).appendingPathComponent("facekit/blazeface-front").path
        #expect(!((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []).contains { $0.hasSuffix(".bin") })
        let offline = try CLI.run(["weights", "convert", "blazeface-front", "--offline"], weights: false, cache: cache)
        #expect(offline.status != 0 && offline.stderr.contains("facekit weights fetch"), "\(offline.stderr)")
    }
}
