// Verification metrics over scored, labelled pairs (score = cosine similarity; "same" when
// score ≥ threshold): ROC AUC, best accuracy and its threshold, k-fold cross-validated
// accuracy, and the true-accept rate at fixed false-accept rates.

/// One point of the ROC curve.
public struct ROCPoint: Sendable, Equatable {
    public let threshold: Float
    public let trueAcceptRate: Double
    public let falseAcceptRate: Double
}

/// The true-accept rate at a target false-accept rate.
public struct OperatingPoint: Sendable, Equatable {
    public let targetFalseAcceptRate: Double
    /// The lowest threshold whose false-accept rate stays at or below the target.
    public let threshold: Float
    public let trueAcceptRate: Double
    public let falseAcceptRate: Double
    /// False when there are too few different-person pairs to measure this rate (fewer than 1/target).
    public let isResolvable: Bool
}

/// Everything `facekit evaluate` reports.
public struct VerificationReport: Sendable {
    public let samePairs: Int
    public let differentPairs: Int
    public let auc: Double
    public let bestAccuracy: Double
    public let bestThreshold: Float
    public let crossValidatedAccuracy: Double
    public let crossValidationStandardDeviation: Double
    public let folds: Int
    public let operatingPoints: [OperatingPoint]
    public let roc: [ROCPoint]
}

public enum VerificationMetrics {
    /// Evaluates `scores` (similarity, same-person label); `folds` gives each pair's fold, or
    /// pairs are dealt round-robin into `k` folds.
    public static func evaluate(_ scores: [(score: Float, same: Bool)], folds given: [Int]? = nil, k: Int = 10,
                                targets: [Double] = [1e-1, 1e-2, 1e-3]) throws -> VerificationReport {
        let pos = scores.filter(\.same).map(\.score), neg = scores.filter { !$0.same }.map(\.score)
        guard !pos.isEmpty, !neg.isEmpty else {
            throw FaceKitError.invalidArgument("evaluation needs both same-person and different-person pairs (got \(pos.count) and \(neg.count))")
        }
        // AUC = P(same-person score > different-person score), ties counting half (Mann–Whitney).
        let sortedNeg = neg.sorted()
        var wins = 0.0
        for p in pos {
            let below = lowerBound(sortedNeg, p), notAbove = upperBound(sortedNeg, p)
            wins += Double(below) + 0.5 * Double(notAbove - below)
        }
        let auc = wins / (Double(pos.count) * Double(neg.count))
        let (bestAccuracy, bestThreshold) = best(scores)
        // Cross-validation.
        let foldOf: [Int] = given ?? scores.indices.map { $0 % max(1, min(k, scores.count)) }
        let foldIDs = Array(Set(foldOf)).sorted()
        var accuracies: [Double] = []
        for f in foldIDs {
            let train = scores.indices.filter { foldOf[$0] != f }.map { scores[$0] }
            let test = scores.indices.filter { foldOf[$0] == f }.map { scores[$0] }
            guard !test.isEmpty, train.contains(where: \.same), train.contains(where: { !$0.same }) else { continue }
            let t = best(train).threshold
            accuracies.append(Double(test.filter { ($0.score >= t) == $0.same }.count) / Double(test.count))
        }
        let mean = accuracies.isEmpty ? bestAccuracy : accuracies.reduce(0, +) / Double(accuracies.count)
        let std = accuracies.count > 1 ? (accuracies.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(accuracies.count - 1)).squareRoot() : 0
        // Operating points: the lowest threshold with FAR ≤ target.
        let negDesc = neg.sorted(by: >)
        let points = targets.map { target -> OperatingPoint in
            let allowed = Int((target * Double(neg.count)).rounded(.down))
            let t = allowed < negDesc.count ? negDesc[allowed].nextUp : -Float.infinity
            let tar = Double(pos.filter { $0 >= t }.count) / Double(pos.count)
            let far = Double(neg.filter { $0 >= t }.count) / Double(neg.count)
            return OperatingPoint(targetFalseAcceptRate: target, threshold: t, trueAcceptRate: tar, falseAcceptRate: far,
                                  isResolvable: target * Double(neg.count) >= 1)
        }
        let thresholds = Array(Set(scores.map(\.score))).sorted(by: >)
        let roc = thresholds.map { t in
            ROCPoint(threshold: t, trueAcceptRate: Double(pos.filter { $0 >= t }.count) / Double(pos.count),
                     falseAcceptRate: Double(neg.filter { $0 >= t }.count) / Double(neg.count))
        }
        return VerificationReport(samePairs: pos.count, differentPairs: neg.count, auc: auc, bestAccuracy: bestAccuracy,
                                  bestThreshold: bestThreshold, crossValidatedAccuracy: mean, crossValidationStandardDeviation: std,
                                  folds: accuracies.count, operatingPoints: points, roc: roc)
    }

    /// The threshold of best accuracy: candidates are midpoints between consecutive distinct scores.
    static func best(_ s: [(score: Float, same: Bool)]) -> (accuracy: Double, threshold: Float) {
        let sorted = s.sorted { $0.score < $1.score }
        // Threshold below everything: all judged same.
        var correct = sorted.filter(\.same).count
        var bestCorrect = correct, bestT = (sorted.first?.score ?? 0) - 1e-3
        for i in sorted.indices {
            correct += sorted[i].same ? -1 : 1   // pair i moves below the threshold
            if i + 1 < sorted.count && sorted[i + 1].score == sorted[i].score { continue }
            let t = i + 1 < sorted.count ? (sorted[i].score + sorted[i + 1].score) / 2 : sorted[i].score + 1e-3
            if correct > bestCorrect { bestCorrect = correct; bestT = t }
        }
        return (Double(bestCorrect) / Double(max(1, s.count)), bestT)
    }

    static func lowerBound(_ a: [Float], _ x: Float) -> Int {
        var lo = 0, hi = a.count
        while lo < hi { let m = (lo + hi) / 2; if a[m] < x { lo = m + 1 } else { hi = m } }
        return lo
    }

    static func upperBound(_ a: [Float], _ x: Float) -> Int {
        var lo = 0, hi = a.count
        while lo < hi { let m = (lo + hi) / 2; if a[m] <= x { lo = m + 1 } else { hi = m } }
        return lo
    }
}
