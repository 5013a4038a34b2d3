/// One component's projection as the `projected_sketch` generator block reads it: the database rows the latent
/// projection blended, their LLE weights and the component's slider.
public struct SketchProjection: Sendable, Equatable {
    /// Nearest database rows, ascending; at least `weights.count` of them (extra ones are ignored).
    public var neighbours: [Neighbour]
    /// Locally-linear weights over the first `weights.count` neighbours (sum 1, may be negative).
    public var weights: [Float]
    /// The component's slider `s ∈ [0, 1]`.
    public var slider: Float

    public init(neighbours: [Neighbour], weights: [Float], slider: Float) {
        precondition(neighbours.count >= weights.count, "\(weights.count) weights over \(neighbours.count) neighbours")
        self.neighbours = neighbours
        self.weights = weights
        self.slider = slider
    }

    /// No projection (an empty canvas slot before anything ran).
    public static let none = SketchProjection(neighbours: [], weights: [], slider: 0)
}

/// Precomputed geometry of the projected sketch channel (docs/MODEL_FORMAT.md, "Projected sketch"): which
/// component's blend every pixel of the R×R channel shows after fusion (the last part in `fusion_order` whose box
/// holds it, else the remainder), at which offset of that component's crop, and the u8 → normalised value table.
/// Built once per model, so a synthesis computes each pixel once and allocates nothing.
struct ProjectedSketchLayout: Sendable {
    /// Per component (manifest order): the pixels it owns, as (index into the R×R plane, index into its crop).
    let owned: [[(pixel: Int32, local: Int32)]]
    /// `normalised[u8]`: the f32 input normalisation of each u8 value, widened to Double.
    let normalised: [Double]
    /// Clamp bounds: the normalised values of 0 and 255, ordered.
    let low: Double, high: Double

    init(manifest m: Manifest) {
        let r = m.resolution
        var owner = [Int](repeating: m.components.firstIndex(where: \.isRemainder)!, count: r * r)
        for name in m.fusionOrder {
            let i = m.componentIndex(name)!
            let c = m.components[i]
            for y in c.yR..<(c.yR + c.sideR) {
                for x in c.xR..<(c.xR + c.sideR) { owner[y * r + x] = i }
            }
        }
        var owned = [[(pixel: Int32, local: Int32)]](repeating: [], count: m.components.count)
        for p in 0..<(r * r) {
            let c = m.components[owner[p]]
            let local = (p / r - c.yR) * c.sideR + (p % r - c.xR)
            owned[owner[p]].append((Int32(p), Int32(local)))
        }
        self.owned = owned
        normalised = (0...255).map { Double(m.inputNormalisation(UInt8($0))) }
        low = min(normalised[0], normalised[255])
        high = max(normalised[0], normalised[255])
    }
}

extension FaceModel {
    /// The `projected_sketch` channel (R×R) of the downsampled canvas `small` with each component's projection
    /// (manifest order): `x = s·Σ wᵢ·norm(Dᵢ) + (1 − s)·norm(c)` per component, in Double, clamped to the
    /// normalised u8 range and rounded to f32, fused like the feature maps. At `s = 0` it equals the plain
    /// `sketch` block exactly.
    public func projectedSketch(_ small: [UInt8], projections: [SketchProjection]) -> [Float] {
        var out = [Float](repeating: 0, count: small.count)
        out.withUnsafeMutableBufferPointer { writeProjectedSketch(small, projections: projections, to: $0.baseAddress!) }
        return out
    }

    /// ``projectedSketch(_:projections:)`` written to `out` (R·R floats); allocates nothing.
    func writeProjectedSketch(_ small: [UInt8], projections: [SketchProjection], to out: UnsafeMutablePointer<Float>) {
        let r = manifest.resolution
        precondition(small.count == r * r, "expected a \(r)×\(r) downsampled canvas")
        precondition(projections.count == componentCount, "one projection per component: \(projections.count) of \(componentCount)")
        let layout = sketchLayout, low = layout.low, high = layout.high
        layout.normalised.withUnsafeBufferPointer { norm in
            small.withUnsafeBufferPointer { pixels in
                for (i, projection) in projections.enumerated() {
                    let s = Double(max(0, min(1, projection.slider.isNaN ? 1 : projection.slider))), keep = 1 - s
                    let area = databases[i].cropSide * databases[i].cropSide
                    precondition(!projection.weights.isEmpty, "component \(i) has no projection weights")
                    databases[i].crops.withUnsafeBufferPointer { crops in
                        projection.neighbours.withUnsafeBufferPointer { nbrs in
                            projection.weights.withUnsafeBufferPointer { w in
                                layout.owned[i].withUnsafeBufferPointer { owned in
                                    for (pixel, local) in owned {
                                        var refined = 0.0
                                        for k in 0..<w.count {
                                            refined += Double(w[k]) * norm[Int(crops[nbrs[k].index * area + Int(local)])]
                                        }
                                        let x = s * refined + keep * norm[Int(pixels[Int(pixel)])]
                                        out[Int(pixel)] = Float(min(high, max(low, x)))
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}
