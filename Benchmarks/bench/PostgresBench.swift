// `bench postgres`: the PostgreSQL + pgvector index (FaceKitPostgres) on the server that PGHOST,
// PGPORT, PGUSER and PGDATABASE name (`eval "$(.ci/postgres start)"`). Only when named.
//
// For each size N (FACEKIT_BENCH_PG_SIZES, default 100000; e.g. 100000,1000000): N people with
// one random unit embedding each, bulk-loaded with importPeople (batches of 5,000 people, one
// multi-row statement each); then enrolment throughput (one person per enroll, one transaction
// each), search latency (one probe, top 10) exact, the HNSW build time, HNSW search latency and
// recall@10 against exact search for each ef_search in FACEKIT_BENCH_PG_EF (default 40,100,200),
// and enrolment throughput with the HNSW index in place. FACEKIT_BENCH_PG_M and
// FACEKIT_BENCH_PG_EFC set the graph (default 16 and 64); FACEKIT_BENCH_PG_PROBES the recall
// probes (default 100); FACEKIT_BENCH_PG_HNSW=0 skips HNSW (and recall). Each size uses the schema bench_N, dropped first and at the end
// (FACEKIT_BENCH_PG_KEEP=1 keeps it).
//
// FACEKIT_BENCH_PG_QUERIES picks the recall probes (default random,enrolled: both, reported apart):
// `random` are random unit vectors, which have no near neighbour in 256-d (every distance is about
// the same: HNSW's worst case, and no face probe looks like it); `enrolled` are enrolled vectors
// plus Gaussian noise, renormalised to a cosine of FACEKIT_BENCH_PG_QUERY_COSINE (default 0.65)
// to the enrolled one, as a new photo of an enrolled person is (the sample photos' same-person
// cosines are about 0.5-0.8). Besides recall@10 against exact search, each reports recall@1
// (HNSW's best is exact search's best) and, for `enrolled`, how often the person the probe was
// made from is HNSW's best match.
import FaceKit
import FaceKitPostgres
import Foundation

func runPostgresBench(output: Output) async throws {
    let env = ProcessInfo.processInfo.environment
    func ints(_ key: String, _ fallback: [Int]) -> [Int] {
        env[key].map { $0.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) } } ?? fallback
    }
    let sizes = ints("FACEKIT_BENCH_PG_SIZES", [100_000])
    let efs = ints("FACEKIT_BENCH_PG_EF", [40, 100, 200])
    let m = ints("FACEKIT_BENCH_PG_M", [16])[0]
    let efConstruction = ints("FACEKIT_BENCH_PG_EFC", [64])[0]
    let probeCount = ints("FACEKIT_BENCH_PG_PROBES", [100])[0]
    let withHNSW = env["FACEKIT_BENCH_PG_HNSW"] != "0"
    let queryKinds = (env["FACEKIT_BENCH_PG_QUERIES"] ?? "random,enrolled").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
    for kind in queryKinds where kind != "random" && kind != "enrolled" {
        throw CLIBenchError("FACEKIT_BENCH_PG_QUERIES=\(kind): not random or enrolled")
    }
    let queryCosine = Float(env["FACEKIT_BENCH_PG_QUERY_COSINE"] ?? "0.65") ?? 0.65
    guard queryCosine > 0, queryCosine < 1 else { throw CLIBenchError("FACEKIT_BENCH_PG_QUERY_COSINE must be between 0 and 1") }
    let d = FaceEmbedder.dimension
    var base = try PostgresIndexConfiguration(environment: env)
    base.maximumConnections = 8
    if !output.json { print("\n# postgres — \(base.displayName), random unit vectors, \(d)-d, one embedding per person") }

    var state: UInt64 = 0x9E37_79B9_7F4A_7C15
    func next() -> Float {   // splitmix64 → uniform in [-0.5, 0.5)
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        z ^= z >> 31
        return Float(z >> 40) / Float(1 << 24) - 0.5
    }
    func vector() -> FaceEmbedding { FaceEmbedding(raw: (0..<d).map { _ in next() }) }
    func gaussian() -> Float {   // Box-Muller
        let u = max(next() + 0.5, 1e-7), v = next() + 0.5
        return (-2 * log(u)).squareRoot() * cos(2 * .pi * v)
    }
    /// `source` plus Gaussian noise whose length gives the probe a cosine of about `queryCosine`
    /// to it (per value σ with 1 / sqrt(1 + d σ²) = cosine), renormalised by FaceEmbedding.
    func noisy(_ source: FaceEmbedding) -> FaceEmbedding {
        let sigma = ((1 / (queryCosine * queryCosine) - 1) / Float(d)).squareRoot()
        return FaceEmbedding(raw: source.vector.map { $0 + sigma * gaussian() })
    }
    func emit(_ fields: [(String, Any)], _ table: String) { output.emit(fields, table: table) }
    func seconds(_ body: () async throws -> Void) async rethrows -> Double {
        let t0 = DispatchTime.now().uptimeNanoseconds
        try await body()
        return Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9
    }

    for n in sizes {
        var exactConfiguration = base
        exactConfiguration.schema = "bench_\(n)"
        let exact = try await PostgresFaceIndex(configuration: exactConfiguration)
        try await exact.dropSchema()
        try await exact.close()
        let index = try await PostgresFaceIndex(configuration: exactConfiguration)

        // Bulk load; the people the `enrolled` probes are made from are spread evenly.
        let batch = 5_000
        let sources = Set((0..<probeCount).map { $0 * n / probeCount + (n / probeCount) / 2 })
        var sourceVectors: [(identifier: String, embedding: FaceEmbedding)] = []
        let load = try await seconds {
            var p = 0
            while p < n {
                let people = (p..<min(n, p + batch)).map { i in
                    let e = vector()
                    if sources.contains(i) { sourceVectors.append(("person \(i)", e)) }
                    return GalleryPerson(identifier: "person \(i)", embeddings: [GalleryEmbedding(embedding: e)])
                }
                try await index.importPeople(people)
                p += people.count
            }
        }
        emit([("bench", "postgres-load"), ("entries", n), ("seconds", load), ("per_second", Double(n) / load)],
             pad("postgres bulk load", 26) + String(format: "%8d embeddings   %7.1f s   %8.0f /s", n, load, Double(n) / load))

        func enrolments(_ label: String, _ target: PostgresFaceIndex, count: Int, tasks: Int) async throws {
            let made = (0..<count).map { _ in vector() }
            let tag = UUID().uuidString.prefix(8)
            let t = try await seconds {
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for w in 0..<tasks {
                        group.addTask {
                            for i in stride(from: w, to: count, by: tasks) { try await target.enroll("new \(tag) \(i)", embeddings: [made[i]]) }
                        }
                    }
                    try await group.waitForAll()
                }
            }
            emit([("bench", "postgres-enroll"), ("index", label), ("entries", n), ("tasks", tasks), ("count", count), ("per_second", Double(count) / t)],
                 pad("postgres enroll \(label)", 26) + String(format: "%8d embeddings   %d task(s)   %7.0f enrolments/s", n, tasks, Double(count) / t))
        }
        try await enrolments("exact", index, count: 300, tasks: 1)
        try await enrolments("exact", index, count: 600, tasks: 4)

        // Exact search. Probe sets: (kind, probes, the person each was made from).
        var probeSets: [(kind: String, probes: [FaceEmbedding], sources: [String?])] = []
        for kind in queryKinds {
            if kind == "random" {
                probeSets.append((kind, (0..<probeCount).map { _ in vector() }, [String?](repeating: nil, count: probeCount)))
            } else {
                probeSets.append((kind, sourceVectors.map { noisy($0.embedding) }, sourceVectors.map { Optional($0.identifier) }))
            }
        }
        let latencyProbe = vector()
        let exactLatency = try await measureAsync(seconds: 3) { _ = try await index.search(latencyProbe, top: 10) }
        emit([("bench", "postgres-search"), ("index", "exact"), ("entries", n), ("median_ms", exactLatency.medianMs), ("p90_ms", exactLatency.p90Ms)],
             pad("postgres search exact", 26) + String(format: "%8d embeddings   top 10   median %9.2f ms  p90 %9.2f ms", n, exactLatency.medianMs, exactLatency.p90Ms))
        guard withHNSW else {
            if env["FACEKIT_BENCH_PG_KEEP"] != "1" { try await index.dropSchema() }
            try await index.close()
            continue
        }
        var truth: [[[String]]] = []
        for set in probeSets {
            var t: [[String]] = []
            for probe in set.probes { t.append(try await index.search(probe, top: 10).map(\.identifier)) }
            truth.append(t)
        }
        try await index.close()

        // HNSW: build, then each ef_search.
        var hnswConfiguration = exactConfiguration
        hnswConfiguration.searchMode = .hnsw(efSearch: efs.first ?? 100, m: m, efConstruction: efConstruction)
        var built: PostgresFaceIndex?
        let build = try await seconds { built = try await PostgresFaceIndex(configuration: hnswConfiguration) }
        try await built?.close()
        emit([("bench", "postgres-hnsw-build"), ("entries", n), ("m", m), ("ef_construction", efConstruction), ("seconds", build)],
             pad("postgres HNSW build", 26) + String(format: "%8d embeddings   m %d  ef_construction %d   %8.1f s", n, m, efConstruction, build))
        var last: PostgresFaceIndex?
        for ef in efs {
            var c = hnswConfiguration
            c.searchMode = .hnsw(efSearch: ef, m: m, efConstruction: efConstruction)
            let hnsw = try await PostgresFaceIndex(configuration: c)
            let latency = try await measureAsync(seconds: 2) { _ = try await hnsw.search(latencyProbe, top: 10) }
            for (set, expectedAll) in zip(probeSets, truth) {
                var found = 0, total = 0, sameBest = 0, sourceBest = 0, fewer = 0
                for ((probe, source), expected) in zip(zip(set.probes, set.sources), expectedAll) {
                    let got = try await hnsw.search(probe, top: 10).map(\.identifier)
                    let gotSet = Set(got)
                    found += expected.filter(gotSet.contains).count
                    total += expected.count
                    if got.first == expected.first { sameBest += 1 }
                    if let source, got.first == source { sourceBest += 1 }
                    if got.count < expected.count { fewer += 1 }
                }
                let recall = Double(found) / Double(max(1, total))
                let recall1 = Double(sameBest) / Double(max(1, set.probes.count))
                var fields: [(String, Any)] = [("bench", "postgres-search"), ("index", "hnsw"), ("entries", n), ("m", m), ("ef_construction", efConstruction),
                                               ("ef_search", ef), ("median_ms", latency.medianMs), ("p90_ms", latency.p90Ms), ("queries", set.kind),
                                               ("recall_at_10", recall), ("recall_at_1", recall1), ("short_results", fewer), ("probes", set.probes.count)]
                var line = pad("postgres search HNSW", 26) + String(format: "%8d embeddings   top 10   ef_search %4d   median %8.2f ms  p90 %8.2f ms   ",
                                                                    n, ef, latency.medianMs, latency.p90Ms)
                    + pad(set.kind, 9) + String(format: "recall@10 %.4f  recall@1 %.3f", recall, recall1)
                if set.kind == "enrolled" {
                    let rate = Double(sourceBest) / Double(max(1, set.probes.count))
                    fields.append(("source_best", rate))
                    line += String(format: "  source best %.3f", rate)
                }
                if fewer > 0 { line += "  (\(fewer) searches returned fewer than 10)" }
                emit(fields, line)
            }
            if let previous = last { try await previous.close() }
            last = hnsw
        }
        if let hnsw = last {
            try await enrolments("hnsw", hnsw, count: 300, tasks: 1)
            try await enrolments("hnsw", hnsw, count: 600, tasks: 4)
            if env["FACEKIT_BENCH_PG_KEEP"] != "1" { try await hnsw.dropSchema() }
            try await hnsw.close()
        }
    }
}
