import COpenBLAS

/// A 3×3, stride-1, padding-1 convolution by Winograd F(2×2, 3×3): each 2×2 output tile is
/// `Aᵀ [(G g Gᵀ) ⊙ (Bᵀ d B)] A` over a 4×4 input patch `d`, so the channel mixing becomes 16 GEMMs
/// with 4 instead of 9 multiply-adds per output and channel pair. Weights are transformed at load.
/// Used for layers with enough channels that the GEMMs stay efficient (the residual blocks).
struct WinogradConv3x3Layer: Sendable {
    let inChannels: Int, outChannels: Int
    let reflect: Bool
    /// `[16][out][in]`: the transformed kernel per position ξ of the 4×4 tile.
    let u: [Float]
    let bias: [Float]

    /// Whether a conv layer takes this path.
    static func applies(to layer: Conv2DLayer) -> Bool {
        layer.kernel == 3 && layer.stride == 1 && layer.padding == 1 && layer.inChannels >= 8 && layer.outChannels >= 8
    }

    init(conv: Conv2DLayer) {
        inChannels = conv.inChannels
        outChannels = conv.outChannels
        reflect = conv.reflect
        bias = conv.bias
        let g: [[Float]] = [[1, 0, 0], [0.5, 0.5, 0.5], [0.5, -0.5, 0.5], [0, 0, 1]]
        var u = [Float](repeating: 0, count: 16 * outChannels * inChannels)
        for co in 0..<outChannels {
            for ci in 0..<inChannels {
                let k = (co * inChannels + ci) * 9
                for r in 0..<4 {
                    for c in 0..<4 {
                        var s: Float = 0
                        for a in 0..<3 { for b in 0..<3 { s += g[r][a] * conv.weight[k + a * 3 + b] * g[c][b] } }
                        u[((r * 4 + c) * outChannels + co) * inChannels + ci] = s
                    }
                }
            }
        }
        self.u = u
    }

    /// Column floats for chunks of tile rows: transformed input and GEMM output for every tile of
    /// the chunk, plus four padded input rows.
    func columnFloats(height: Int, width: Int, budget: Int) -> Int {
        let th = (height + 1) / 2, tw = (width + 1) / 2
        let perRow = 16 * (inChannels + outChannels) * tw
        let rows = max(1, min(th, budget / max(1, perRow)))
        return rows * perRow + 4 * (2 * tw + 2)
    }
}

/// `output [out, H, W] = conv3×3(input [in, H, W])`, stride 1, padding 1.
func winogradConv3x3(_ layer: WinogradConv3x3Layer, input: UnsafePointer<Float>, height h: Int, width w: Int,
                     output: UnsafeMutablePointer<Float>, columns: UnsafeMutablePointer<Float>, columnCapacity: Int) {
    let cin = layer.inChannels, cout = layer.outChannels
    let th = (h + 1) / 2, tw = (w + 1) / 2
    let padW = 2 * tw + 2
    let perRow = 16 * (cin + cout) * tw
    let rowsPerChunk = max(1, min(th, (columnCapacity - 4 * padW) / perRow))
    let padded = columns  // 4 rows × padW, x from −1
    let work = columns + 4 * padW
    var ty0 = 0
    while ty0 < th {
        let ty1 = min(th, ty0 + rowsPerChunk)
        let nt = (ty1 - ty0) * tw
        let v = work                      // [16][cin][nt]
        let m = work + 16 * cin * nt      // [16][cout][nt]
        for ci in 0..<cin {
            let plane = input + ci * h * w
            for ty in ty0..<ty1 {
                // The four input rows of this tile row, padded by one column each side (x = −1 … 2·tw).
                for r in 0..<4 {
                    let d = padded + r * padW
                    var y = 2 * ty - 1 + r
                    if y < 0 || y >= h {
                        if !layer.reflect || y > h { d.update(repeating: 0, count: padW); continue }
                        y = reflectIndex(y, h)
                    }
                    let src = plane + y * w
                    (d + 1).update(from: src, count: w)
                    d[0] = layer.reflect ? src[1 < w ? 1 : 0] : 0
                    for x in (w + 1)..<padW { d[x] = 0 }
                    if layer.reflect, w >= 2 { d[w + 1] = src[w - 2] }
                }
                let r0 = padded, r1 = padded + padW, r2 = padded + 2 * padW, r3 = padded + 3 * padW
                let base = ci * nt + (ty - ty0) * tw
                let plane16 = cin * nt
                for tx in 0..<tw {
                    let x = 2 * tx
                    let o = v + base + tx
                    // Rows of the 4×4 patch.
                    let a0 = r0[x], a1 = r0[x + 1], a2 = r0[x + 2], a3 = r0[x + 3]
                    let b0 = r1[x], b1 = r1[x + 1], b2 = r1[x + 2], b3 = r1[x + 3]
                    let c0 = r2[x], c1 = r2[x + 1], c2 = r2[x + 2], c3 = r2[x + 3]
                    let e0 = r3[x], e1 = r3[x + 1], e2 = r3[x + 2], e3 = r3[x + 3]
                    // V = Bᵀ d B: rows t = Bᵀ d, then each row times B.
                    @inline(__always) func emit(_ r: Int, _ t0: Float, _ t1: Float, _ t2: Float, _ t3: Float) {
                        o[(r * 4) * plane16] = t0 - t2
                        o[(r * 4 + 1) * plane16] = t1 + t2
                        o[(r * 4 + 2) * plane16] = t2 - t1
                        o[(r * 4 + 3) * plane16] = t1 - t3
                    }
                    emit(0, a0 - c0, a1 - c1, a2 - c2, a3 - c3)
                    emit(1, b0 + c0, b1 + c1, b2 + c2, b3 + c3)
                    emit(2, c0 - b0, c1 - b1, c2 - b2, c3 - b3)
                    emit(3, b0 - e0, b1 - e1, b2 - e2, b3 - e3)
                }
            }
        }
        layer.u.withUnsafeBufferPointer { u in
            for xi in 0..<16 {
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(cout), Int32(nt), Int32(cin),
                            1, u.baseAddress! + xi * cout * cin, Int32(cin), v + xi * cin * nt, Int32(nt),
                            0, m + xi * cout * nt, Int32(nt))
            }
        }
        let stride = cout * nt
        layer.bias.withUnsafeBufferPointer { bias in
            for co in 0..<cout {
                let plane = output + co * h * w
                let b = bias[co]
                for ty in ty0..<ty1 {
                    let y = 2 * ty
                    let mrow = m + co * nt + (ty - ty0) * tw
                    for tx in 0..<tw {
                        let p = mrow + tx
                        // s = Aᵀ M (2×4), then Y = s A (2×2).
                        let m00 = p[0], m01 = p[stride], m02 = p[2 * stride], m03 = p[3 * stride]
                        let m10 = p[4 * stride], m11 = p[5 * stride], m12 = p[6 * stride], m13 = p[7 * stride]
                        let m20 = p[8 * stride], m21 = p[9 * stride], m22 = p[10 * stride], m23 = p[11 * stride]
                        let m30 = p[12 * stride], m31 = p[13 * stride], m32 = p[14 * stride], m33 = p[15 * stride]
                        let s00 = m00 + m10 + m20, s01 = m01 + m11 + m21, s02 = m02 + m12 + m22, s03 = m03 + m13 + m23
                        let s10 = m10 - m20 - m30, s11 = m11 - m21 - m31, s12 = m12 - m22 - m32, s13 = m13 - m23 - m33
                        let x = 2 * tx
                        let o = plane + y * w + x
                        o[0] = s00 + s01 + s02 + b
                        if x + 1 < w { o[1] = s01 - s02 - s03 + b }
                        if y + 1 < h {
                            o[w] = s10 + s11 + s12 + b
                            if x + 1 < w { o[w + 1] = s11 - s12 - s13 + b }
                        }
                    }
                }
            }
        }
        ty0 = ty1
    }
}
