/// Which way a stroke changes the canvas.
public enum Tool: String, Sendable, Equatable, Codable {
    /// Darkens towards black ink.
    case pen
    /// Lightens back towards white paper.
    case eraser
}

/// A stroke sample in fixed point, the only form the rasteriser sees.
///
/// Coordinates are in 1/16 pixel (`0...8192` covers the canvas edge to edge), pressure in `0...255`.
/// Quantising once, on the server, is what lets every replica rasterise integer-exactly.
public struct StrokePoint: Equatable, Sendable {
    /// Subpixel steps per pixel.
    public static let subpixels = 16
    /// Largest coordinate, the canvas edge (512 px).
    public static let maxCoordinate = Canvas.size * subpixels
    /// Pressure of a full press.
    public static let maxPressure = 255

    /// x in 1/16 px.
    public var x: Int
    /// y in 1/16 px.
    public var y: Int
    /// Pressure, 0 (lightest) ... 255 (full).
    public var pressure: Int

    /// A point already in fixed point (1/16 px, pressure 0...255).
    public init(x: Int, y: Int, pressure: Int) {
        self.x = x; self.y = y; self.pressure = pressure
    }

    /// Quantises pixel coordinates and a 0...1 pressure (round half up, the same as JavaScript's `Math.round`
    /// for the non-negative values allowed here).
    public init(pixelX: Double, pixelY: Double, pressure: Double) {
        self.x = Int((pixelX * Double(StrokePoint.subpixels) + 0.5).rounded(.down))
        self.y = Int((pixelY * Double(StrokePoint.subpixels) + 0.5).rounded(.down))
        self.pressure = Int((pressure * Double(StrokePoint.maxPressure) + 0.5).rounded(.down))
    }

    /// x in pixels (exact: a multiple of 1/16).
    public var pixelX: Double { Double(x) / Double(StrokePoint.subpixels) }
    /// y in pixels (exact).
    public var pixelY: Double { Double(y) / Double(StrokePoint.subpixels) }
    /// Pressure in 0...1, rounded to 4 decimals for compact JSON (still quantises back to the same integer:
    /// the rounding error times 255 is below 0.013).
    public var unitPressure: Double { (Double(pressure) / Double(StrokePoint.maxPressure) * 10_000).rounded() / 10_000 }
}

/// Stroke width and how pressure scales it.
public enum StrokeWidth {
    /// Smallest nominal width in pixels.
    public static let minPixels = 0.5
    /// Largest nominal width in pixels.
    public static let maxPixels = 64.0

    /// Nominal width in 1/16 px from pixels (round half up).
    public static func quantize(pixels: Double) -> Int {
        Int((pixels * Double(StrokePoint.subpixels) + 0.5).rounded(.down))
    }

    /// Radius in 1/16 px at a given pressure: a full press gives half the nominal width, no pressure a quarter
    /// of that (`r = w · (255 + 3p) / 2040`), never below 1/4 px so a feather-light touch still shows.
    public static func radius(width: Int, pressure: Int) -> Int {
        Swift.max(4, (width * (255 + 3 * pressure)) / 2040)
    }
}
