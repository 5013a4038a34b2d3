/// Paints anti-aliased, pressure-tapered capsules (a stroke segment with round caps) onto a `Canvas`.
///
/// Integer-exact by design: every quantity is an integer in 1/16 px (`sub`) or 1/256 px (`fine`) and the only
/// non-trivial operations are floor division and an exact integer square root, so `web/js/raster.js` (which
/// uses JavaScript doubles, exact for integers below 2^53; the largest product here is below 2^45) produces
/// the same bytes. Coverage of a pixel is `clamp(r − d + ½ px, 0, 1)`, where `d` is the distance from the
/// pixel centre to the nearest point of the segment and `r` the radius interpolated there. Pen ink composites
/// with `min` (so overlapping segments of one stroke never double-darken), the eraser with `max`.
///
/// Only pixels in the capsule's row spans (`CapsuleShape`) are tested, so painting costs what the capsule covers,
/// not its bounding box: a 64 px wide diagonal across the canvas tests about 50 000 pixels, not 262 144.
public enum CapsuleRasterizer {
    /// Paints one segment from `a` to `b` (a dot when they coincide) with nominal `width` in 1/16 px, only inside
    /// `clip` (a re-render of one region paints exactly the bytes a full one paints there).
    /// Returns the rectangle of pixels that may have changed (already clipped to the canvas and `clip`).
    @discardableResult
    public static func paintSegment(_ canvas: inout Canvas, from a: StrokePoint, to b: StrokePoint,
                                    width: Int, tool: Tool, clip: DirtyRect = .full) -> DirtyRect {
        let sub = StrokePoint.subpixels
        let ra = StrokeWidth.radius(width: width, pressure: a.pressure)
        let rb = StrokeWidth.radius(width: width, pressure: b.pressure)
        let reach = max(ra, rb)
        let minX = max(clip.minX, floorDiv(min(a.x, b.x) - reach, sub) - 1)
        let minY = max(clip.minY, floorDiv(min(a.y, b.y) - reach, sub) - 1)
        let maxX = min(clip.maxX - 1, floorDiv(max(a.x, b.x) + reach, sub) + 1)
        let maxY = min(clip.maxY - 1, floorDiv(max(a.y, b.y) + reach, sub) + 1)
        if minX > maxX || minY > maxY { return .empty }

        let dx = b.x - a.x, dy = b.y - a.y
        let den = dx * dx + dy * dy
        let isPen = tool == .pen
        let shape = CapsuleShape(from: a, to: b, reach: reach)
        canvas.pixels.withUnsafeMutableBufferPointer { px in
            for j in minY...maxY {
                guard let (first, last) = shape.columns(row: j, within: minX...maxX) else { continue }
                let cy = j * sub + sub / 2
                for i in first...last {
                    let cx = i * sub + sub / 2
                    var qx = a.x * sub, qy = a.y * sub, r = reach
                    if den > 0 {
                        var num = (cx - a.x) * dx + (cy - a.y) * dy
                        if num < 0 { num = 0 } else if num > den { num = den }
                        qx += floorDiv(dx * sub * num, den)
                        qy += floorDiv(dy * sub * num, den)
                        r = ra + floorDiv((rb - ra) * num, den)
                    }
                    let ex = cx * sub - qx, ey = cy * sub - qy
                    let d = integerSquareRoot(ex * ex + ey * ey)
                    var cover = r * sub - d + 128
                    if cover <= 0 { continue }
                    if cover > 256 { cover = 256 }
                    let ink = (cover * 255 + 128) >> 8
                    let index = j * Canvas.size + i
                    if isPen {
                        let value = UInt8(255 - ink)
                        if value < px[index] { px[index] = value }
                    } else {
                        let value = UInt8(ink)
                        if value > px[index] { px[index] = value }
                    }
                }
            }
        }
        return DirtyRect(minX: minX, minY: minY, maxX: maxX + 1, maxY: maxY + 1)
    }

    /// Paints a run of stroke points: a dot at the first point when `previous` is nil (a stroke's first batch),
    /// otherwise continuing from `previous`, the last point already painted. Returns the union of dirty rects.
    @discardableResult
    public static func paint(_ canvas: inout Canvas, points: [StrokePoint], after previous: StrokePoint?,
                             width: Int, tool: Tool, clip: DirtyRect = .full) -> DirtyRect {
        guard let first = points.first else { return .empty }
        var dirty = paintSegment(&canvas, from: previous ?? first, to: first, width: width, tool: tool, clip: clip)
        var last = first
        for point in points.dropFirst() {
            dirty = dirty.union(paintSegment(&canvas, from: last, to: point, width: width, tool: tool, clip: clip))
            last = point
        }
        return dirty
    }

    /// The rectangle `paint` may change for these points (what it returns), without painting.
    public static func bounds(points: [StrokePoint], after previous: StrokePoint?, width: Int) -> DirtyRect {
        guard let first = points.first else { return .empty }
        let sub = StrokePoint.subpixels
        var dirty = DirtyRect.empty
        var last = previous ?? first
        for point in points {
            let reach = max(StrokeWidth.radius(width: width, pressure: last.pressure), StrokeWidth.radius(width: width, pressure: point.pressure))
            let segment = DirtyRect(minX: max(0, floorDiv(min(last.x, point.x) - reach, sub) - 1),
                                    minY: max(0, floorDiv(min(last.y, point.y) - reach, sub) - 1),
                                    maxX: min(Canvas.size, floorDiv(max(last.x, point.x) + reach, sub) + 2),
                                    maxY: min(Canvas.size, floorDiv(max(last.y, point.y) + reach, sub) + 2))
            dirty = dirty.union(segment)
            last = point
        }
        return dirty
    }

    /// An upper bound, in pixels tested, of what `paint` costs for these points: the budget sessions charge a
    /// message before painting it (docs/PROTOCOL.md, "work"). Each segment counts its capsule's area with the
    /// span margin, `(2r + 4) · (length + 2r + 4)` with `r` the larger radius in whole pixels.
    public static func cost(points: [StrokePoint], after previous: StrokePoint?, width: Int) -> Int {
        guard let first = points.first else { return 0 }
        var total = 0
        var last = previous ?? first
        for point in points {
            total += segmentCost(from: last, to: point, width: width)
            last = point
        }
        return total
    }

    static func segmentCost(from a: StrokePoint, to b: StrokePoint, width: Int) -> Int {
        let sub = StrokePoint.subpixels
        let r = max(StrokeWidth.radius(width: width, pressure: a.pressure), StrokeWidth.radius(width: width, pressure: b.pressure)) / sub + 1
        let dx = b.x - a.x, dy = b.y - a.y
        let length = integerSquareRoot(dx * dx + dy * dy) / sub + 1
        return (2 * r + 4) * (length + 2 * r + 4)
    }

    /// Floor division for a positive divisor (Swift's `/` truncates towards zero).
    @inline(__always)
    static func floorDiv(_ a: Int, _ b: Int) -> Int {
        let q = a / b
        return (a % b != 0 && a < 0) ? q - 1 : q
    }

    /// ⌊√n⌋ exactly, for n ≥ 0.
    @inline(__always)
    static func integerSquareRoot(_ n: Int) -> Int {
        var s = Int(Double(n).squareRoot())
        while s * s > n { s -= 1 }
        while (s + 1) * (s + 1) <= n { s += 1 }
        return s
    }
}
