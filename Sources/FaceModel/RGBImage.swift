/// An 8-bit RGB image, interleaved row-major (`pixels[(y*width + x)*3 + c]`).
public struct RGBImage: Sendable, Equatable {
    public let width: Int, height: Int
    public let pixels: [UInt8]

    public init(width: Int, height: Int, pixels: [UInt8]) {
        precondition(pixels.count == width * height * 3)
        self.width = width; self.height = height; self.pixels = pixels
    }

    /// From a network output `[3, H, W]` in [−1, 1]: `clamp(floor((x + 1)·127.5 + 0.5), 0, 255)`.
    public init(planar x: UnsafePointer<Float>, height: Int, width: Int) {
        let n = height * width
        self.width = width; self.height = height
        pixels = [UInt8](unsafeUninitializedCapacity: 3 * n) { out, count in
            for c in 0..<3 {
                for i in 0..<n {
                    let v = ((x[c * n + i] + 1) * 127.5 + 0.5).rounded(.down)  // round = floor(v + 0.5)
                    out[i * 3 + c] = UInt8(max(0, min(255, v.isNaN ? 0 : v)))
                }
            }
            count = 3 * n
        }
    }

    /// Channel-planar copy `[3, H, W]` (the golden layout).
    public var planar: [UInt8] {
        let n = width * height
        var out = [UInt8](repeating: 0, count: 3 * n)
        for i in 0..<n { for c in 0..<3 { out[c * n + i] = pixels[i * 3 + c] } }
        return out
    }
}
