// PrincipalComponents (the PCA behind `facekit gallery plot`) on cases checked by hand.
import FaceKit
import Testing

@Suite struct ProjectionTests {
    @Test("four points on two axes: the components are the axes, variances and coordinates as computed by hand")
    func axes() throws {
        // Mean (1, 1, 1). Centred: (±2, 0, 0) and (0, ±1, 0). Covariance = diag(8/4, 2/4, 0) =
        // diag(2, 0.5, 0): first component x (variance 2), second y (variance 0.5).
        let points: [[Float]] = [[3, 1, 1], [-1, 1, 1], [1, 2, 1], [1, 0, 1]]
        let pca = try PrincipalComponents(fitting: points, count: 2)
        #expect(pca.mean == [1, 1, 1])
        #expect(abs(pca.variances[0] - 2) < 1e-5 && abs(pca.variances[1] - 0.5) < 1e-5 && abs(pca.totalVariance - 2.5) < 1e-5)
        for (c, axis) in zip(pca.components, [[Float(1), 0, 0], [0, 1, 0]]) {
            for (a, b) in zip(c, axis) { #expect(abs(a - b) < 1e-5, "\(pca.components)") }
        }
        let projected = try points.map { try pca.project($0) }
        let expected: [[Float]] = [[2, 0], [-2, 0], [0, 1], [0, -1]]
        for (p, e) in zip(projected, expected) { for (a, b) in zip(p, e) { #expect(abs(a - b) < 1e-5, "\(projected)") } }
    }

    @Test("a diagonal line: the component is (1, 1)/√2 whatever the order of the points")
    func diagonal() throws {
        let points: [[Float]] = [[0, 0], [1, 1], [2, 2], [3, 3]]
        for order in [points, points.reversed()] {
            let pca = try PrincipalComponents(fitting: order, count: 1)
            let r = Float(0.5).squareRoot()
            #expect(abs(pca.components[0][0] - r) < 1e-5 && abs(pca.components[0][1] - r) < 1e-5)
            // Variance along the line: distances ±1.5√2, ±0.5√2 → (4.5 + 0.5) · 2 / 4 = 2.5.
            #expect(abs(pca.variances[0] - 2.5) < 1e-5)
            #expect(abs(try pca.project([3, 3])[0] - 1.5 * Float(2).squareRoot()) < 1e-5)
        }
    }

    @Test("bad input is a typed error")
    func errors() {
        #expect(throws: GalleryError.self) { _ = try PrincipalComponents(fitting: []) }
        #expect(throws: GalleryError.self) { _ = try PrincipalComponents(fitting: [[1, 2], [1]]) }
        #expect(throws: GalleryError.self) { _ = try PrincipalComponents(fitting: [[1, 2]], count: 3) }
        #expect(throws: GalleryError.self) { _ = try PrincipalComponents(fitting: [[1, 2]], count: 1).project([1]) }
    }
}
