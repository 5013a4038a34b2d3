/// A prepared `film` layer: the affine map from the network's condition `a` (length A) to per-channel
/// gains and shifts, `g = W a + b` with `weight [2C, A]`.
struct FiLMLayer: Sendable {
    let channels: Int
    let projection: LinearLayer

    init(channels: Int, conditionSize: Int, weight: [Float], bias: [Float]) {
        self.channels = channels
        projection = LinearLayer(inFeatures: conditionSize, outFeatures: 2 * channels, weight: weight, bias: bias)
    }

    /// Multiply-adds per run on `[C, H, W]`: the `2C × A` projection plus one per element.
    func multiplyAdds(planeSize: Int) -> Int { projection.inFeatures * projection.outFeatures + channels * planeSize }
}

/// Feature-wise linear modulation in place: `g = W a + b` into `scratch` (2C floats), then
/// `x[c] = x[c] · (1 + g[c]) + g[C + c]` over each channel's plane of `planeSize` values.
func film(_ layer: FiLMLayer, _ x: UnsafeMutablePointer<Float>, planeSize n: Int, condition: UnsafePointer<Float>,
          scratch: UnsafeMutablePointer<Float>) {
    linear(layer.projection, input: condition, output: scratch)
    let c = layer.channels
    for ch in 0..<c {
        let scale = 1 + scratch[ch], shift = scratch[c + ch]
        let p = x + ch * n
        for i in 0..<n { p[i] = p[i] * scale + shift }
    }
}
