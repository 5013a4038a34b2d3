/// Upsampling ops of the `upsample` layer (docs/MODEL_FORMAT.md): nearest-neighbour by any integer factor, and
/// bilinear ×2 as PyTorch computes it.

/// Nearest-neighbour upsampling `[C, H, W] → [C, H·s, W·s]`.
func upsampleNearest(_ input: UnsafePointer<Float>, channels: Int, height: Int, width: Int, scale s: Int,
                     output: UnsafeMutablePointer<Float>) {
    let wo = width * s
    for c in 0..<channels {
        for y in 0..<height {
            let src = input + (c * height + y) * width
            let first = output + (c * height * s + y * s) * wo
            for x in 0..<width {
                let v = src[x]
                for j in 0..<s { first[x * s + j] = v }
            }
            for r in 1..<max(s, 1) { (first + r * wo).update(from: first, count: wo) }
        }
    }
}

/// Bilinear ×2 upsampling `[C, H, W] → [C, 2H, 2W]`, PyTorch `interpolate(scale_factor=2, mode="bilinear",
/// align_corners=False)`: output index o samples the input at (o + ½)/2 − ½ (half-pixel centres), clamped at the
/// edges, so along each axis `out[2i] = ¼·x[i−1] + ¾·x[i]` and `out[2i+1] = ¾·x[i] + ¼·x[i+1]` with the indices
/// clamped to [0, n−1]. Separable and allocation-free: each output row is blended vertically one low-res column
/// at a time and widened on the fly, 3 multiply-adds per output value (`bilinearMultiplyAdds`).
func upsampleBilinear2(_ input: UnsafePointer<Float>, channels: Int, height h: Int, width w: Int,
                       output: UnsafeMutablePointer<Float>) {
    let wo = 2 * w
    for c in 0..<channels {
        let plane = input + c * h * w
        for oy in 0..<(2 * h) {
            // Output row oy: ¾ of source row oy/2, ¼ of its neighbour above (even oy) or below (odd oy).
            let y = oy / 2
            let near = plane + y * w
            let far = plane + (oy % 2 == 0 ? max(y - 1, 0) : min(y + 1, h - 1)) * w
            let out = output + (c * 2 * h + oy) * wo
            var previous = 0.75 * near[0] + 0.25 * far[0]
            var current = previous
            for x in 0..<w {
                let next = x + 1 < w ? 0.75 * near[x + 1] + 0.25 * far[x + 1] : current
                out[2 * x] = 0.75 * current + 0.25 * previous
                out[2 * x + 1] = 0.75 * current + 0.25 * next
                previous = current
                current = next
            }
        }
    }
}

/// Multiply-adds `upsampleBilinear2` executes: per output value one ¾/¼ horizontal blend (2), plus the vertical
/// blend (2) of each low-res column per output row, i.e. 12 per input value.
func bilinearMultiplyAdds(channels: Int, height: Int, width: Int) -> Int { 12 * channels * height * width }
