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
        return rows * perRow + 8 * (2 * tw + 2)
    }
}

/// `output [out, H, W] = conv3×3(input [in, H, W])`, stride 1, padding 1.
func winogradConv3x3(_ layer: WinogradConv3x3Layer, input: UnsafePointer<Float>, height h: Int, width w: Int,
                     output: UnsafeMutablePointer<Float>, columns: UnsafeMutablePointer<Float>, columnCapacity: Int) {
    let cin = layer.inChannels, cout = layer.outChannels
    let th = (h + 1) / 2, tw = (w + 1) / 2
    let padW = 2 * tw + 2
    let perRow = 16 * (cin + cout) * tw
    let rowsPerChunk = max(1, min(th, (columnCapacity - 8 * padW) / perRow))
    let padded = columns  // 4 rows × padW, x from −1
    let rowT = columns + 4 * padW  // Bᵀ applied down the 4 rows, 4 × padW
    let work = columns + 8 * padW
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
                let t0 = rowT, t1 = rowT + padW, t2 = rowT + 2 * padW, t3 = rowT + 3 * padW
                // t = Bᵀ d for every column at once (contiguous, vectorised).
                for x in 0..<padW {
                    let a = r0[x], b = r1[x], c = r2[x], e = r3[x]
                    t0[x] = a - c; t1[x] = b + c; t2[x] = c - b; t3[x] = b - e
                }
                // V = t B per tile: columns 2tx … 2tx+3 of each t row.
                let plane16 = cin * nt
                let o = v + ci * nt + (ty - ty0) * tw
                for r in 0..<4 {
                    let t = rowT + r * padW
                    let v0 = o + (r * 4) * plane16, v1 = o + (r * 4 + 1) * plane16
                    let v2 = o + (r * 4 + 2) * plane16, v3 = o + (r * 4 + 3) * plane16
                    for tx in 0..<tw {
                        let x = 2 * tx
                        let q0 = t[x], q1 = t[x + 1], q2 = t[x + 2], q3 = t[x + 3]
                        v0[tx] = q0 - q2; v1[tx] = q1 + q2; v2[tx] = q2 - q1; v3[tx] = q1 - q3
                    }
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
        let fullTiles = w / 2  // tiles whose two columns are both inside the image
        layer.bias.withUnsafeBufferPointer { bias in
            for co in 0..<cout {
                let plane = output + co * h * w
                let b = bias[co]
                for ty in ty0..<ty1 {
                    let y = 2 * ty
                    let p = m + co * nt + (ty - ty0) * tw
                    let row0 = plane + y * w
                    let secondRow = y + 1 < h
                    let row1 = plane + (secondRow ? y + 1 : y) * w
                    @inline(__always) func tile(_ tx: Int) -> (Float, Float, Float, Float) {
                        // s = Aᵀ M (2×4), then Y = s A (2×2).
                        let m00 = p[tx], m01 = p[stride + tx], m02 = p[2 * stride + tx], m03 = p[3 * stride + tx]
                        let m10 = p[4 * stride + tx], m11 = p[5 * stride + tx], m12 = p[6 * stride + tx], m13 = p[7 * stride + tx]
                        let m20 = p[8 * stride + tx], m21 = p[9 * stride + tx], m22 = p[10 * stride + tx], m23 = p[11 * stride + tx]
                        let m30 = p[12 * stride + tx], m31 = p[13 * stride + tx], m32 = p[14 * stride + tx], m33 = p[15 * stride + tx]
                        let s00 = m00 + m10 + m20, s01 = m01 + m11 + m21, s02 = m02 + m12 + m22, s03 = m03 + m13 + m23
                        let s10 = m10 - m20 - m30, s11 = m11 - m21 - m31, s12 = m12 - m22 - m32, s13 = m13 - m23 - m33
                        return (s00 + s01 + s02 + b, s01 - s02 - s03 + b, s10 + s11 + s12 + b, s11 - s12 - s13 + b)
                    }
                    if secondRow {
                        for tx in 0..<fullTiles {
                            let (y00, y01, y10, y11) = tile(tx)
                            row0[2 * tx] = y00; row0[2 * tx + 1] = y01; row1[2 * tx] = y10; row1[2 * tx + 1] = y11
                        }
                    } else {
                        for tx in 0..<fullTiles {
                            let (y00, y01, _, _) = tile(tx)
                            row0[2 * tx] = y00; row0[2 * tx + 1] = y01
                        }
                    }
                    if fullTiles < tw {  // odd width: the last tile has one column
                        let (y00, _, y10, _) = tile(fullTiles)
                        row0[w - 1] = y00
                        if secondRow { row1[w - 1] = y10 }
                    }
                }
            }
        }
        ty0 = ty1
    }
}
