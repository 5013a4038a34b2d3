import COpenBLAS

/// One component's database: the latents, crops and source ids of the training sketches, with the
/// squared norm of every latent precomputed for the KNN distance expansion.
public struct ComponentDatabase: Sendable {
    /// Rows (training sketches) in the database.
    public let count: Int
    /// Latent width (`manifest.latent`).
    public let latentSize: Int
    /// `[count, latentSize]` row-major.
    public let latents: [Float]
    /// `|latents[i]|²`.
    let norms: [Float]
    /// Side of every crop (`side_r` of the component).
    public let cropSide: Int
    /// `[count, cropSide, cropSide]`.
    public let crops: [UInt8]
    /// Source photo id of each row.
    public let ids: [Int32]

    /// Reads `c.latents`, `c.crops`, `c.ids` from `file`, checking shapes against the manifest.
    init(component: Component, latentSize: Int, file: SafeTensors) throws {
        let latentEntry = try file.entry("\(component.name).latents")
        guard latentEntry.shape.count == 2, latentEntry.shape[1] == latentSize, latentEntry.shape[0] > 0 else {
            throw SafeTensorsError.wrongShape(file: file.file, tensor: latentEntry.name, expected: [max(1, latentEntry.shape.first ?? 1), latentSize], actual: latentEntry.shape)
        }
        let n = latentEntry.shape[0]
        let latents = try file.floats(latentEntry.name)
        self.latents = latents
        crops = try file.uint8s("\(component.name).crops", shape: [n, component.sideR, component.sideR])
        ids = try file.int32s("\(component.name).ids", shape: [n])
        count = n
        self.latentSize = latentSize
        cropSide = component.sideR
        norms = (0..<n).map { i in
            var s: Float = 0
            for j in 0..<latentSize { let v = latents[i * latentSize + j]; s += v * v }
            return s
        }
    }

    /// The `k` nearest rows to each query (squared L2, ascending, ties to the lower index), computed
    /// with one `cblas_sgemm` for the whole batch plus the norms; the leading candidates are then
    /// re-scored exactly in double so rounding in `|a|²+|b|²−2a·b` cannot reorder them.
    public func nearest(_ queries: [[Float]], k: Int) -> [[Neighbour]] {
        let q = queries.count
        guard q > 0 else { return [] }
        let k = min(k, count)
        let l = latentSize
        var flat = [Float](repeating: 0, count: q * l)
        for (i, z) in queries.enumerated() {
            precondition(z.count == l, "latent has \(z.count) values, expected \(l)")
            for j in 0..<l { flat[i * l + j] = z[j] }
        }
        var dots = [Float](repeating: 0, count: q * count)
        flat.withUnsafeBufferPointer { a in
            latents.withUnsafeBufferPointer { b in
                dots.withUnsafeMutableBufferPointer { c in
                    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(q), Int32(count), Int32(l),
                                1, a.baseAddress, Int32(l), b.baseAddress, Int32(l), 0, c.baseAddress, Int32(count))
                }
            }
        }
        let candidates = min(count, k + 8)
        return (0..<q).map { qi in
            let z = queries[qi]
            var zn: Float = 0
            for v in z { zn += v * v }
            // Partial selection: keep the `candidates` smallest approximate distances.
            var best: [(d: Float, i: Int)] = []
            best.reserveCapacity(candidates + 1)
            for i in 0..<count {
                let d = zn + norms[i] - 2 * dots[qi * count + i]
                if best.count == candidates, let last = best.last, !(d < last.d) { continue }
                var pos = best.count
                while pos > 0 && best[pos - 1].d > d { pos -= 1 }
                best.insert((d, i), at: pos)
                if best.count > candidates { best.removeLast() }
            }
            var exact: [Neighbour] = best.map { c in
                var s = 0.0
                let base = c.i * l
                for j in 0..<l { let d = Double(latents[base + j]) - Double(z[j]); s += d * d }
                return Neighbour(index: c.i, distance: Float(s))
            }
            exact.sort { ($0.distance, $0.index) < ($1.distance, $1.index) }
            return Array(exact.prefix(k))
        }
    }

    /// Latent row `i`.
    public func latent(_ i: Int) -> ArraySlice<Float> { latents[(i * latentSize)..<((i + 1) * latentSize)] }
}

/// A database row and its squared L2 distance to the query.
public struct Neighbour: Sendable, Equatable {
    /// Row in the component database.
    public let index: Int
    /// Squared L2 distance (computed in double, stored as f32).
    public let distance: Float
}
