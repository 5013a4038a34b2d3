/// The 512×512 8-bit grey sketch canvas: 255 is white paper, 0 is black ink, row-major (`pixels[y * 512 + x]`).
///
/// This is the canvas the model reads (docs/MODEL_FORMAT.md) and the one every browser replicates
/// byte-for-byte (`web/js/raster.js` is an exact port of this module).
public struct Canvas: Equatable, Sendable {
    /// Width and height in pixels.
    public static let size = 512
    /// Grey value of untouched paper.
    public static let paper: UInt8 = 255

    /// Row-major pixels, `size * size` of them.
    public var pixels: [UInt8]

    /// A blank (all white) canvas.
    public init() {
        pixels = [UInt8](repeating: Canvas.paper, count: Canvas.size * Canvas.size)
    }

    /// A canvas over existing pixels; `pixels.count` must be `size * size`.
    public init(pixels: [UInt8]) {
        precondition(pixels.count == Canvas.size * Canvas.size, "canvas must have 512×512 pixels")
        self.pixels = pixels
    }

    /// The pixel at column `x`, row `y`.
    public subscript(x: Int, y: Int) -> UInt8 {
        get { pixels[y * Canvas.size + x] }
        set { pixels[y * Canvas.size + x] = newValue }
    }

    /// Resets every pixel to paper.
    public mutating func clear() {
        for i in pixels.indices { pixels[i] = Canvas.paper }
    }

    /// Copies the pixels of `rect` from `other` (a region re-render starts from a checkpoint).
    public mutating func copy(_ rect: DirtyRect, from other: Canvas) {
        guard !rect.isEmpty else { return }
        for y in rect.minY..<rect.maxY {
            let row = y * Canvas.size
            pixels.replaceSubrange((row + rect.minX)..<(row + rect.maxX), with: other.pixels[(row + rect.minX)..<(row + rect.maxX)])
        }
    }

    /// Resets the pixels of `rect` to paper.
    public mutating func clear(_ rect: DirtyRect) {
        guard !rect.isEmpty else { return }
        for y in rect.minY..<rect.maxY {
            let row = y * Canvas.size
            for i in (row + rect.minX)..<(row + rect.maxX) { pixels[i] = Canvas.paper }
        }
    }

    /// Binary PGM (P5) encoding: a dependency-free exact dump used by tests and `/s/<id>/sketch.pgm`.
    public func pgm() -> [UInt8] {
        var out = Array("P5\n\(Canvas.size) \(Canvas.size)\n255\n".utf8)
        out.append(contentsOf: pixels)
        return out
    }
}

/// A pixel rectangle on the canvas, half-open: columns `minX..<maxX`, rows `minY..<maxY`.
public struct DirtyRect: Equatable, Sendable, CustomStringConvertible {
    /// First column.
    public var minX: Int
    /// First row.
    public var minY: Int
    /// One past the last column.
    public var maxX: Int
    /// One past the last row.
    public var maxY: Int

    /// A rectangle from its half-open bounds.
    public init(minX: Int, minY: Int, maxX: Int, maxY: Int) {
        self.minX = minX; self.minY = minY; self.maxX = maxX; self.maxY = maxY
    }

    /// The empty rectangle (nothing changed).
    public static let empty = DirtyRect(minX: 0, minY: 0, maxX: 0, maxY: 0)
    /// The whole canvas (a full re-render).
    public static let full = DirtyRect(minX: 0, minY: 0, maxX: Canvas.size, maxY: Canvas.size)

    /// True when the rectangle covers no pixel.
    public var isEmpty: Bool { maxX <= minX || maxY <= minY }

    /// The smallest rectangle covering both.
    public func union(_ other: DirtyRect) -> DirtyRect {
        if isEmpty { return other }
        if other.isEmpty { return self }
        return DirtyRect(minX: Swift.min(minX, other.minX), minY: Swift.min(minY, other.minY),
                         maxX: Swift.max(maxX, other.maxX), maxY: Swift.max(maxY, other.maxY))
    }

    /// Pixels covered.
    public var area: Int { isEmpty ? 0 : (maxX - minX) * (maxY - minY) }

    /// True when the two rectangles share at least one pixel.
    public func intersects(_ other: DirtyRect) -> Bool {
        !isEmpty && !other.isEmpty && minX < other.maxX && other.minX < maxX && minY < other.maxY && other.minY < maxY
    }

    public var description: String { "[\(minX),\(minY))–[\(maxX),\(maxY))" }
}
