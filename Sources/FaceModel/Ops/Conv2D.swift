import COpenBLAS
import Foundation

/// A prepared `conv` layer: weights `[out, in·k·k]` row-major (PyTorch's layout, already the GEMM
/// left operand), bias (zeros when the manifest has none).
struct Conv2DLayer: Sendable {
    let inChannels: Int, outChannels: Int, kernel: Int, stride: Int, padding: Int
    let reflect: Bool
    let weight: [Float]
    let bias: [Float]

    /// Output spatial size for an input of `size`.
    func outputSize(_ size: Int) -> Int { (size + 2 * padding - kernel) / stride + 1 }

    /// 1×1, stride 1, no padding: the input itself is the GEMM right operand.
    var isPointwise: Bool { kernel == 1 && stride == 1 && padding == 0 }

    /// Few output channels at stride 1 (an RGB head): a GEMM with M ≤ 4 is memory-bound on the
    /// column matrix, so these convolve directly, one output row at a time, by row-wise axpy.
    var isDirect: Bool { outChannels <= 4 && stride == 1 && !isPointwise }

    /// Column-buffer floats needed for an `height×width` input: whole output rows, at least one,
    /// at most `budget` floats (so a 7×7 conv at 256² does not need a 400 MB im2col).
    func columnFloats(height: Int, width: Int, budget: Int) -> Int {
        if isPointwise { return 0 }
        if isDirect { return inChannels * kernel * (width + 2 * padding) }
        let k = inChannels * kernel * kernel
        let wo = outputSize(width), ho = outputSize(height)
        let rows = max(1, min(ho, budget / max(1, k * wo)))
        return rows * k * wo
    }
}

@inline(__always) func reflectIndex(_ i: Int, _ n: Int) -> Int {
    i < 0 ? -i : (i >= n ? 2 * n - 2 - i : i)
}
@inline(__always) func ceilDiv(_ a: Int, _ b: Int) -> Int { a >= 0 ? (a + b - 1) / b : -((-a) / b) }
@inline(__always) func floorDiv(_ a: Int, _ b: Int) -> Int { a >= 0 ? a / b : -((-a + b - 1) / b) }

/// `output [out, Ho, Wo] = conv(input [in, H, W])` by im2col over chunks of output rows and one
/// `cblas_sgemm` per chunk; 1×1 stride-1 convolutions skip im2col.
func conv2d(_ layer: Conv2DLayer, input: UnsafePointer<Float>, height: Int, width: Int,
            output: UnsafeMutablePointer<Float>, columns: UnsafeMutablePointer<Float>, columnCapacity: Int) {
    let ho = layer.outputSize(height), wo = layer.outputSize(width)
    let hw = ho * wo
    let cout = layer.outChannels, cin = layer.inChannels
    let k = layer.kernel, s = layer.stride, p = layer.padding
    let kk = cin * k * k
    layer.bias.withUnsafeBufferPointer { bias in
        for co in 0..<cout {
            let b = bias[co]
            let row = output + co * hw
            for i in 0..<hw { row[i] = b }
        }
    }
    layer.weight.withUnsafeBufferPointer { w in
        if layer.isPointwise {
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(cout), Int32(hw), Int32(cin),
                        1, w.baseAddress, Int32(cin), input, Int32(hw), 1, output, Int32(hw))
            return
        }
        if layer.isDirect {
            conv2dDirect(layer, weight: w.baseAddress!, input: input, height: height, width: width, output: output, rows: columns)
            return
        }
        let rowsPerChunk = max(1, min(ho, columnCapacity / (kk * wo)))
        var oy0 = 0
        while oy0 < ho {
            let oy1 = min(ho, oy0 + rowsPerChunk)
            let nc = (oy1 - oy0) * wo
            for ci in 0..<cin {
                let plane = input + ci * height * width
                for ky in 0..<k {
                    for kx in 0..<k {
                        let dstRow = columns + ((ci * k + ky) * k + kx) * nc
                        let oxLo = max(0, min(wo, ceilDiv(p - kx, s)))
                        let oxHi = max(oxLo, min(wo, floorDiv(width - 1 + p - kx, s) + 1))
                        for oy in oy0..<oy1 {
                            let d = dstRow + (oy - oy0) * wo
                            var iy = oy * s - p + ky
                            if iy < 0 || iy >= height {
                                if !layer.reflect { d.update(repeating: 0, count: wo); continue }
                                iy = reflectIndex(iy, height)
                            }
                            let src = plane + iy * width
                            if layer.reflect {
                                for ox in 0..<oxLo { d[ox] = src[reflectIndex(ox * s - p + kx, width)] }
                                for ox in oxHi..<wo { d[ox] = src[reflectIndex(ox * s - p + kx, width)] }
                            } else {
                                for ox in 0..<oxLo { d[ox] = 0 }
                                for ox in oxHi..<wo { d[ox] = 0 }
                            }
                            if s == 1 {
                                (d + oxLo).update(from: src + (oxLo - p + kx), count: oxHi - oxLo)
                            } else {
                                var ix = oxLo * s - p + kx
                                for ox in oxLo..<oxHi { d[ox] = src[ix]; ix += s }
                            }
                        }
                    }
                }
            }
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(cout), Int32(nc), Int32(kk),
                        1, w.baseAddress, Int32(kk), columns, Int32(nc), 1, output + oy0 * wo, Int32(hw))
            oy0 = oy1
        }
    }
}

/// Direct stride-1 convolution for few output channels: for each output row, the `k` padded input
/// rows of every channel are gathered into `rows` ([in, k, W + 2p]), then each output channel's row
/// accumulates `in·k·k` contiguous axpys. `output` already holds the bias.
func conv2dDirect(_ layer: Conv2DLayer, weight: UnsafePointer<Float>, input: UnsafePointer<Float>, height: Int, width: Int,
                  output: UnsafeMutablePointer<Float>, rows: UnsafeMutablePointer<Float>) {
    let k = layer.kernel, p = layer.padding, cin = layer.inChannels
    let ho = layer.outputSize(height), wo = layer.outputSize(width)
    let wp = width + 2 * p
    for oy in 0..<ho {
        for ci in 0..<cin {
            let plane = input + ci * height * width
            for ky in 0..<k {
                let d = rows + (ci * k + ky) * wp
                var iy = oy - p + ky
                if iy < 0 || iy >= height {
                    if !layer.reflect { d.update(repeating: 0, count: wp); continue }
                    iy = reflectIndex(iy, height)
                }
                let src = plane + iy * width
                (d + p).update(from: src, count: width)
                for x in 0..<p {
                    d[x] = layer.reflect ? src[reflectIndex(x - p, width)] : 0
                    d[p + width + x] = layer.reflect ? src[reflectIndex(width + x, width)] : 0
                }
            }
        }
        for co in 0..<layer.outChannels {
            let out = output + (co * ho + oy) * wo
            let wrow = weight + co * cin * k * k
            for ci in 0..<cin {
                for ky in 0..<k {
                    let r = rows + (ci * k + ky) * wp
                    for kx in 0..<k {
                        let wv = wrow[(ci * k + ky) * k + kx]
                        let src = r + kx
                        for x in 0..<wo { out[x] += wv * src[x] }
                    }
                }
            }
        }
    }
}
