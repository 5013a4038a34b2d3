import Foundation

/// Element-wise activations, applied in place.
enum Activation: Sendable, Equatable {
    case relu, leakyReLU(Float), tanh, sigmoid
}

func activate(_ kind: Activation, _ x: UnsafeMutablePointer<Float>, count: Int) {
    switch kind {
    case .relu:
        for i in 0..<count { x[i] = max(x[i], 0) }
    case let .leakyReLU(slope):
        for i in 0..<count { let v = x[i]; x[i] = v < 0 ? v * slope : v }
    case .tanh:
        for i in 0..<count { x[i] = Foundation.tanh(x[i]) }
    case .sigmoid:
        for i in 0..<count { x[i] = 1 / (1 + Foundation.exp(-x[i])) }
    }
}

/// `y += x` (the residual join).
func addInPlace(_ y: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>, count: Int) {
    for i in 0..<count { y[i] += x[i] }
}

/// Instance normalisation in place over each channel's H×W plane (biased variance, accumulated in
/// double so large planes keep f32-level agreement with PyTorch).
/// `then` applies a following ReLU / LeakyReLU in the same pass (the builder fuses them).
func instanceNorm(_ x: UnsafeMutablePointer<Float>, channels: Int, planeSize n: Int, eps: Float,
                  weight: [Float]?, bias: [Float]?, then activation: Activation? = nil) {
    for c in 0..<channels {
        let p = x + c * n
        var sum = 0.0
        for i in 0..<n { sum += Double(p[i]) }
        let mean = sum / Double(n)
        var squares = 0.0
        for i in 0..<n { let d = Double(p[i]) - mean; squares += d * d }
        let variance = squares / Double(n)
        let inv = 1 / (variance + Double(eps)).squareRoot()
        let scale = Float(inv * Double(weight?[c] ?? 1))
        let shift = bias?[c] ?? 0
        let m = Float(mean)
        switch activation {
        case .relu?:
            for i in 0..<n { p[i] = max((p[i] - m) * scale + shift, 0) }
        case let .leakyReLU(slope)?:
            for i in 0..<n { let v = (p[i] - m) * scale + shift; p[i] = v < 0 ? v * slope : v }
        default:
            for i in 0..<n { p[i] = (p[i] - m) * scale + shift }
            if let activation { activate(activation, p, count: n) }
        }
    }
}
