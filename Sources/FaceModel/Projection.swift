/// Locally-linear weights of `z` over its neighbours (docs/MODEL_FORMAT.md step 3):
/// `D = Z_nbrs − z`, `G = D Dᵀ`, `G += r·trace(G)·I` (or `r·I` when the trace is 0), solve
/// `G w = 1`, normalise to sum 1. Solved in double by Gaussian elimination with partial pivoting;
/// a singular system (only possible with r = 0) falls back to equal weights. When the nearest
/// neighbour is at distance exactly 0 (z is that row, e.g. a blank crop) the weights are
/// `(1, 0, …, 0)`, so a database point projects onto itself exactly.
public func locallyLinearWeights(_ z: [Float], neighbours: [Neighbour], database: ComponentDatabase, regularization r: Float) -> [Float] {
    let k = neighbours.count
    guard k > 0 else { return [] }
    if neighbours[0].distance == 0 { return [1] + [Float](repeating: 0, count: k - 1) }
    let l = database.latentSize
    var d = [Double](repeating: 0, count: k * l)
    for (a, n) in neighbours.enumerated() {
        let row = database.latent(n.index)
        var j = 0
        for v in row { d[a * l + j] = Double(v) - Double(z[j]); j += 1 }
    }
    var g = [Double](repeating: 0, count: k * k)
    for a in 0..<k {
        for b in a..<k {
            var s = 0.0
            for j in 0..<l { s += d[a * l + j] * d[b * l + j] }
            g[a * k + b] = s
            g[b * k + a] = s
        }
    }
    var trace = 0.0
    for a in 0..<k { trace += g[a * k + a] }
    let add = trace == 0 ? Double(r) : Double(r) * trace
    for a in 0..<k { g[a * k + a] += add }
    var w = [Double](repeating: 1, count: k)
    guard solveInPlace(&g, &w, n: k) else { return [Float](repeating: 1 / Float(k), count: k) }
    let total = w.reduce(0, +)
    guard total != 0, total.isFinite else { return [Float](repeating: 1 / Float(k), count: k) }
    return w.map { Float($0 / total) }
}

/// Solves `A x = b` (A n×n row-major, overwritten); returns false when A is singular.
func solveInPlace(_ a: inout [Double], _ b: inout [Double], n: Int) -> Bool {
    for col in 0..<n {
        var pivot = col
        for row in (col + 1)..<max(n, col + 1) where abs(a[row * n + col]) > abs(a[pivot * n + col]) { pivot = row }
        if a[pivot * n + col] == 0 || !a[pivot * n + col].isFinite { return false }
        if pivot != col {
            for j in 0..<n { a.swapAt(col * n + j, pivot * n + j) }
            b.swapAt(col, pivot)
        }
        let p = a[col * n + col]
        for row in (col + 1)..<max(n, col + 1) {
            let f = a[row * n + col] / p
            if f == 0 { continue }
            for j in col..<n { a[row * n + j] -= f * a[col * n + j] }
            b[row] -= f * b[col]
        }
    }
    for row in stride(from: n - 1, through: 0, by: -1) {
        var s = b[row]
        for j in (row + 1)..<max(n, row + 1) { s -= a[row * n + j] * b[j] }
        b[row] = s / a[row * n + row]
    }
    return true
}

/// Projection with the slider (step 4): `z' = s·Σ wᵢ Z_nbrsᵢ + (1−s)·z`.
public func projectLatent(_ z: [Float], neighbours: [Neighbour], weights: [Float], database: ComponentDatabase, slider s: Float) -> [Float] {
    let l = database.latentSize
    var p = [Float](repeating: 0, count: l)
    for (n, w) in zip(neighbours, weights) {
        let row = database.latent(n.index)
        var j = 0
        for v in row { p[j] += w * v; j += 1 }
    }
    return (0..<l).map { s * p[$0] + (1 - s) * z[$0] }
}
