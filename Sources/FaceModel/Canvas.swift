/// The 512×512 u8 grey drawing surface (255 = white paper, 0 = ink), row-major `pixels[y*512 + x]`.
public struct Canvas: Sendable, Equatable {
    /// Side of every canvas.
    public static let side = 512
    /// 512·512 grey pixels, row-major.
    public var pixels: [UInt8]

    /// A blank (all white) canvas.
    public init() { pixels = [UInt8](repeating: 255, count: Canvas.side * Canvas.side) }

    /// Wraps 512·512 pixels.
    public init(pixels: [UInt8]) {
        precondition(pixels.count == Canvas.side * Canvas.side, "a canvas has \(Canvas.side)×\(Canvas.side) pixels, got \(pixels.count)")
        self.pixels = pixels
    }

    /// Box average over f×f blocks with integer rounding: `(Σ + f²/2) / f²` (docs/MODEL_FORMAT.md).
    public func downsampled(factor f: Int) -> [UInt8] {
        let r = Canvas.side / f
        if f == 1 { return pixels }
        let area = f * f
        var out = [UInt8](repeating: 0, count: r * r)
        pixels.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                var sums = [Int](repeating: 0, count: r)
                for y in 0..<r {
                    for i in 0..<r { sums[i] = 0 }
                    for j in 0..<f {
                        let row = src.baseAddress! + (f * y + j) * Canvas.side
                        for x in 0..<r {
                            var s = 0
                            for i in 0..<f { s += Int(row[f * x + i]) }
                            sums[x] += s
                        }
                    }
                    for x in 0..<r { dst[y * r + x] = UInt8((sums[x] + area / 2) / area) }
                }
            }
        }
        return out
    }
}

/// A square u8 crop of one component at model resolution, exactly as the encoder sees it.
public struct Crop: Sendable, Equatable {
    /// Side in pixels at model resolution (`side_r`).
    public let side: Int
    /// side·side grey pixels, row-major.
    public let pixels: [UInt8]

    /// Wraps side·side pixels.
    public init(side: Int, pixels: [UInt8]) {
        precondition(pixels.count == side * side)
        self.side = side
        self.pixels = pixels
    }
}

extension Manifest {
    /// The crop of component `index` from the downsampled canvas `small` (R×R): a window for the
    /// parts; for the remainder the whole image with the part boxes set to 255.
    public func crop(_ small: [UInt8], component index: Int) -> Crop {
        let r = resolution
        precondition(small.count == r * r, "expected a \(r)×\(r) downsampled canvas")
        let c = components[index]
        if c.isRemainder {
            var pixels = small
            for part in components where !part.isRemainder {
                for y in part.yR..<(part.yR + part.sideR) {
                    for x in part.xR..<(part.xR + part.sideR) { pixels[y * r + x] = 255 }
                }
            }
            return Crop(side: r, pixels: pixels)
        }
        var pixels = [UInt8](repeating: 0, count: c.sideR * c.sideR)
        for y in 0..<c.sideR {
            let row = (c.yR + y) * r + c.xR
            for x in 0..<c.sideR { pixels[y * c.sideR + x] = small[row + x] }
        }
        return Crop(side: c.sideR, pixels: pixels)
    }
}
