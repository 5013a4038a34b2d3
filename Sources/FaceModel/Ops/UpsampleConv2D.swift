import COpenBLAS

/// `upsample(×2, nearest)` followed by a 3×3, stride-1, padding-1 `conv`, fused into four 2×2
/// convolutions on the low-resolution input (one per output phase), with 2.25× fewer multiply-adds.
///
/// Output pixel `(2i+py, 2j+px)` reads upsampled rows `2i+py−1 … 2i+py+1`, i.e. low-res rows
/// `i+py−1` and `i+py`; kernel rows that land on the same low-res row are summed at load. Padding
/// carries over exactly: reflect-padding the upsampled image by 1 equals clamping the low-res index,
/// and zero padding stays zero padding.
struct UpsampleConv2DLayer: Sendable {
    let inChannels: Int, outChannels: Int
    /// Reflect padding (clamp on the low-res grid) or zeros.
    let reflect: Bool
    /// Per phase `py*2+px`: weights `[out, in·2·2]`.
    let phaseWeights: [[Float]]
    let bias: [Float]

    /// Kernel rows feeding low-res tap `a` of phase `p`: p=0 → {0}, {1,2}; p=1 → {0,1}, {2}.
    static let taps: [[[Int]]] = [[[0], [1, 2]], [[0, 1], [2]]]

    /// A `conv_transpose` with kernel 4, stride 2, padding 1 has the same structure: output phase
    /// `py` reads input rows `i+py−1` and `i+py` with kernel rows (3, 1) for py = 0 and (2, 0) for
    /// py = 1 (likewise for columns), and nothing outside the input (zero padding). Running it as four
    /// 2×2 phase convolutions replaces a K = in GEMM plus a col2im scatter-add by K = 4·in GEMMs.
    init(transposedWeight w: [Float], inChannels: Int, outChannels: Int, bias: [Float]) {
        self.inChannels = inChannels
        self.outChannels = outChannels
        reflect = false
        self.bias = bias
        let tap = [[3, 1], [2, 0]]  // [phase][a] → kernel index
        var phases: [[Float]] = []
        for py in 0..<2 {
            for px in 0..<2 {
                var p = [Float](repeating: 0, count: outChannels * inChannels * 4)
                for co in 0..<outChannels {
                    for ci in 0..<inChannels {
                        for a in 0..<2 {
                            for b in 0..<2 {
                                p[co * inChannels * 4 + ci * 4 + a * 2 + b] = w[((ci * outChannels + co) * 4 + tap[py][a]) * 4 + tap[px][b]]
                            }
                        }
                    }
                }
                phases.append(p)
            }
        }
        phaseWeights = phases
    }

    init(conv: Conv2DLayer) {
        inChannels = conv.inChannels
        outChannels = conv.outChannels
        reflect = conv.reflect
        bias = conv.bias
        var phases: [[Float]] = []
        for py in 0..<2 {
            for px in 0..<2 {
                var w = [Float](repeating: 0, count: outChannels * inChannels * 4)
                for co in 0..<outChannels {
                    for ci in 0..<inChannels {
                        for a in 0..<2 {
                            for b in 0..<2 {
                                var s: Float = 0
                                for ky in Self.taps[py][a] {
                                    for kx in Self.taps[px][b] { s += conv.weight[((co * inChannels + ci) * 3 + ky) * 3 + kx] }
                                }
                                w[co * inChannels * 4 + ci * 4 + a * 2 + b] = s
                            }
                        }
                    }
                }
                phases.append(w)
            }
        }
        phaseWeights = phases
    }

    /// Column floats for chunks of low-res rows: the phase im2col plus the phase output.
    func columnFloats(height: Int, width: Int, budget: Int) -> Int {
        let perRow = (inChannels * 4 + outChannels) * width
        let rows = max(1, min(height, budget / max(1, perRow)))
        return rows * perRow
    }
}

/// `output [out, 2H, 2W] = conv3×3(upsample×2(input [in, H, W]))`.
func upsampleConv2d(_ layer: UpsampleConv2DLayer, input: UnsafePointer<Float>, height h: Int, width w: Int,
                    output: UnsafeMutablePointer<Float>, columns: UnsafeMutablePointer<Float>, columnCapacity: Int) {
    let cin = layer.inChannels, cout = layer.outChannels
    let kk = cin * 4
    let wo = 2 * w, hwo = 4 * h * w
    let rowsPerChunk = max(1, min(h, columnCapacity / ((kk + cout) * w)))
    var i0 = 0
    while i0 < h {
        let i1 = min(h, i0 + rowsPerChunk)
        let nc = (i1 - i0) * w
        let cols = columns
        let phaseOut = columns + kk * nc
        for py in 0..<2 {
            for px in 0..<2 {
                // im2col of the 2×2 low-res window of this phase.
                for ci in 0..<cin {
                    let plane = input + ci * h * w
                    for a in 0..<2 {
                        for b in 0..<2 {
                            let dst = cols + (ci * 4 + a * 2 + b) * nc
                            let dx = px - 1 + b
                            for i in i0..<i1 {
                                let d = dst + (i - i0) * w
                                var y = i + py - 1 + a
                                if y < 0 || y >= h {
                                    if !layer.reflect { d.update(repeating: 0, count: w); continue }
                                    y = y < 0 ? 0 : h - 1
                                }
                                let src = plane + y * w
                                // dx ∈ {-1, 0, 1}: one border pixel at most.
                                if dx == 0 {
                                    d.update(from: src, count: w)
                                } else if dx < 0 {
                                    d[0] = layer.reflect ? src[0] : 0
                                    (d + 1).update(from: src, count: w - 1)
                                } else {
                                    d.update(from: src + 1, count: w - 1)
                                    d[w - 1] = layer.reflect ? src[w - 1] : 0
                                }
                            }
                        }
                    }
                }
                layer.phaseWeights[py * 2 + px].withUnsafeBufferPointer { wp in
                    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(cout), Int32(nc), Int32(kk),
                                1, wp.baseAddress, Int32(kk), cols, Int32(nc), 0, phaseOut, Int32(nc))
                }
                layer.bias.withUnsafeBufferPointer { bias in
                    for co in 0..<cout {
                        let b = bias[co]
                        let src = phaseOut + co * nc
                        let plane = output + co * hwo
                        for i in i0..<i1 {
                            let s = src + (i - i0) * w
                            let d = plane + (2 * i + py) * wo + px
                            for j in 0..<w { d[2 * j] = s[j] + b }
                        }
                    }
                }
            }
        }
        i0 = i1
    }
}
