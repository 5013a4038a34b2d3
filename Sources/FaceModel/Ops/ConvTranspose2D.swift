import COpenBLAS

/// A prepared `conv_transpose` layer. PyTorch stores `[in, out, k, k]`; it is packed at load into
/// `[out·k·k, in]` so each chunk is one plain GEMM followed by a col2im scatter-add.
struct ConvTranspose2DLayer: Sendable {
    let inChannels: Int, outChannels: Int, kernel: Int, stride: Int, padding: Int, outputPadding: Int
    let packedWeight: [Float]
    let bias: [Float]

    func outputSize(_ size: Int) -> Int { (size - 1) * stride - 2 * padding + kernel + outputPadding }

    /// Column floats for chunks of whole input rows, at most `budget` (at least one row).
    func columnFloats(height: Int, width: Int, budget: Int) -> Int {
        let rowsK = outChannels * kernel * kernel
        let rows = max(1, min(height, budget / max(1, rowsK * width)))
        return rows * rowsK * width
    }

    /// Packs PyTorch's `[in, out, k, k]` weight into `[out·k·k, in]`.
    static func pack(_ weight: [Float], inChannels: Int, outChannels: Int, kernel: Int) -> [Float] {
        let rows = outChannels * kernel * kernel
        var packed = [Float](repeating: 0, count: rows * inChannels)
        for ci in 0..<inChannels {
            for r in 0..<rows { packed[r * inChannels + ci] = weight[ci * rows + r] }
        }
        return packed
    }
}

/// `output [out, Ho, Wo] = conv_transpose(input [in, H, W])`.
func convTranspose2d(_ layer: ConvTranspose2DLayer, input: UnsafePointer<Float>, height: Int, width: Int,
                     output: UnsafeMutablePointer<Float>, columns: UnsafeMutablePointer<Float>, columnCapacity: Int) {
    let ho = layer.outputSize(height), wo = layer.outputSize(width)
    let cout = layer.outChannels, cin = layer.inChannels
    let k = layer.kernel, s = layer.stride, p = layer.padding
    let rowsK = cout * k * k
    let hwIn = height * width
    layer.bias.withUnsafeBufferPointer { bias in
        for co in 0..<cout {
            let b = bias[co]
            let row = output + co * ho * wo
            for i in 0..<(ho * wo) { row[i] = b }
        }
    }
    let rowsPerChunk = max(1, min(height, columnCapacity / (rowsK * width)))
    layer.packedWeight.withUnsafeBufferPointer { w in
        var iy0 = 0
        while iy0 < height {
            let iy1 = min(height, iy0 + rowsPerChunk)
            let nc = (iy1 - iy0) * width
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(rowsK), Int32(nc), Int32(cin),
                        1, w.baseAddress, Int32(cin), input + iy0 * width, Int32(hwIn), 0, columns, Int32(nc))
            for co in 0..<cout {
                let plane = output + co * ho * wo
                for ky in 0..<k {
                    for kx in 0..<k {
                        let src = columns + ((co * k + ky) * k + kx) * nc
                        let ixLo = max(0, min(width, ceilDiv(p - kx, s)))
                        let ixHi = max(ixLo, min(width, floorDiv(wo - 1 + p - kx, s) + 1))
                        for iy in iy0..<iy1 {
                            let oy = iy * s - p + ky
                            if oy < 0 || oy >= ho { continue }
                            let srow = src + (iy - iy0) * width
                            let drow = plane + oy * wo
                            var ox = ixLo * s - p + kx
                            for ix in ixLo..<ixHi { drow[ox] += srow[ix]; ox += s }
                        }
                    }
                }
            }
            iy0 = iy1
        }
    }
}
