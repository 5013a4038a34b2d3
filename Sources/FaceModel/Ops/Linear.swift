import COpenBLAS

/// A prepared `linear` layer: `weight [out, in]` row-major, bias (zeros when absent).
struct LinearLayer: Sendable {
    let inFeatures: Int, outFeatures: Int
    let weight: [Float]
    let bias: [Float]
}

/// `y = W x + b`.
func linear(_ layer: LinearLayer, input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>) {
    layer.bias.withUnsafeBufferPointer { output.update(from: $0.baseAddress!, count: layer.outFeatures) }
    layer.weight.withUnsafeBufferPointer { w in
        cblas_sgemv(CblasRowMajor, CblasNoTrans, Int32(layer.outFeatures), Int32(layer.inFeatures), 1,
                    w.baseAddress, Int32(layer.inFeatures), input, 1, 1, output, 1)
    }
}
