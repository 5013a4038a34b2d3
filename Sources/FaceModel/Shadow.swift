/// The shadow of one component: a grey-0 image whose alpha is the weighted darkness of the K
/// nearest database crops, at crop resolution (the client scales it onto the component's box).
public struct Shadow: Sendable, Equatable {
    public let side: Int
    /// `side × side` alpha, 0 = transparent.
    public let alpha: [UInt8]

    /// Step 5 of docs/MODEL_FORMAT.md: `vᵢ = 1/(sqrt(dᵢ)+1e-6)` normalised, `a = Σ vᵢ (255 − cropᵢ)`,
    /// alpha = clamp(floor(a + 0.5), 0, 255).
    public init(neighbours: [Neighbour], database: ComponentDatabase) {
        let side = database.cropSide
        let n = side * side
        self.side = side
        var v = neighbours.map { 1 / (Double($0.distance).squareRoot() + 1e-6) }
        let total = v.reduce(0, +)
        v = v.map { $0 / total }
        var a = [Double](repeating: 0, count: n)
        database.crops.withUnsafeBufferPointer { crops in
            for (nb, w) in zip(neighbours, v) {
                let crop = crops.baseAddress! + nb.index * n
                for i in 0..<n { a[i] += w * Double(255 - Int(crop[i])) }
            }
        }
        alpha = a.map { UInt8(max(0, min(255, ($0 + 0.5).rounded(.down)))) }
    }

    public init(side: Int, alpha: [UInt8]) {
        precondition(alpha.count == side * side)
        self.side = side
        self.alpha = alpha
    }
}
