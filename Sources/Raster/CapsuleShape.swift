/// The region a capsule segment can touch, row by row: which columns of a row hold pixel centres that may be
/// covered. `CapsuleRasterizer` tests exactly those pixels with its integer rule, so painting costs the capsule's
/// area instead of its bounding box.
///
/// The spans are computed in doubles and widened by a pixel margin, so they are a superset of the covered
/// pixels whatever the rounding (a pixel is covered only within `r + ½ px` of the segment, and the integer
/// rule's nearest point is off by less than 1/128 px): the painted bytes do not depend on the spans, only the
/// cost does. `web/js/raster.js` computes the same spans with the same double arithmetic anyway.
struct CapsuleShape {
    /// Endpoints in pixels.
    let ax: Double, ay: Double, bx: Double, by: Double
    /// Reach in pixels: the larger radius, the anti-aliasing half pixel and the margin.
    let reach: Double

    /// Extra pixels on every side of the exact capsule.
    static let margin = 1.0

    init(from a: StrokePoint, to b: StrokePoint, reach radius: Int) {
        let sub = Double(StrokePoint.subpixels)
        ax = Double(a.x) / sub; ay = Double(a.y) / sub
        bx = Double(b.x) / sub; by = Double(b.y) / sub
        reach = Double(radius) / sub + 0.5 + CapsuleShape.margin
    }

    /// The first and last column of row `row` (pixel centres at `+ ½`) that may be covered, clipped to `bounds`;
    /// nil when none.
    func columns(row: Int, within bounds: ClosedRange<Int>) -> (Int, Int)? {
        let cy = Double(row) + 0.5
        var low = Double.infinity, high = -Double.infinity
        // The two round caps: chords of circles.
        for end in 0..<2 {
            let x = end == 0 ? ax : bx, y = end == 0 ? ay : by
            let h = reach * reach - (cy - y) * (cy - y)
            if h >= 0 {
                let half = h.squareRoot()
                low = min(low, x - half); high = max(high, x + half)
            }
        }
        // The band between them: 0 ≤ projection ≤ length² and |cross| ≤ reach · length, both linear in x:
        // projection(x) = (x − ax)·dx + (cy − ay)·dy, cross(x) = (x − ax)·dy − (cy − ay)·dx.
        let dx = bx - ax, dy = by - ay
        let lengthSquared = dx * dx + dy * dy
        if lengthSquared > 0 {
            let band = reach * lengthSquared.squareRoot()
            var span = (from: -Double.infinity, to: Double.infinity)
            CapsuleShape.restrict(&span, slope: dx, offset: (cy - ay) * dy - ax * dx, lower: 0, upper: lengthSquared)
            CapsuleShape.restrict(&span, slope: dy, offset: -(cy - ay) * dx - ax * dy, lower: -band, upper: band)
            if span.from <= span.to { low = min(low, span.from); high = max(high, span.to) }
        }
        guard low <= high else { return nil }
        // Pixel i's centre is i + ½.
        let first = max(bounds.lowerBound, Int((low - 0.5).rounded(.up)))
        let last = min(bounds.upperBound, Int((high - 0.5).rounded(.down)))
        return first <= last ? (first, last) : nil
    }

    /// Narrows `span` to the x where `lower ≤ slope·x + offset ≤ upper`.
    private static func restrict(_ span: inout (from: Double, to: Double), slope: Double, offset: Double, lower: Double, upper: Double) {
        if slope == 0 {
            if offset < lower || offset > upper { span = (.infinity, -.infinity) }
            return
        }
        let x1 = (lower - offset) / slope, x2 = (upper - offset) / slope
        span = (max(span.from, min(x1, x2)), min(span.to, max(x1, x2)))
    }
}
