import XCTest
@testable import Raster

final class CapsuleRasterizerTests: XCTestCase {
    private func point(_ x: Double, _ y: Double, _ p: Double = 1) -> StrokePoint {
        StrokePoint(pixelX: x, pixelY: y, pressure: p)
    }

    func testBlankCanvasIsWhite() {
        XCTAssertTrue(Canvas().pixels.allSatisfy { $0 == 255 })
    }

    func testHorizontalPenStrokeIsBlackOnItsAxisAndWhiteAway() {
        var canvas = Canvas()
        let width = StrokeWidth.quantize(pixels: 8)   // full pressure → radius 4 px
        let dirty = CapsuleRasterizer.paint(&canvas, points: [point(100, 200.5), point(300, 200.5)],
                                            after: nil, width: width, tool: .pen)
        XCTAssertEqual(canvas[200, 200], 0)
        XCTAssertEqual(canvas[150, 202], 0)
        XCTAssertEqual(canvas[200, 210], 255)
        XCTAssertEqual(canvas[200, 190], 255)
        XCTAssertEqual(canvas[320, 200], 255, "round cap reaches only the radius beyond the end")
        XCTAssertTrue(dirty.minX <= 96 && dirty.maxX >= 305 && dirty.minY <= 196 && dirty.maxY >= 205)
    }

    func testEdgePixelsAreAntiAliasedMidGrey() {
        var canvas = Canvas()
        // Centre row 200.5 and radius 4 px: the edge at y = 204.5 passes through centres of row 204.
        CapsuleRasterizer.paint(&canvas, points: [point(100, 200.5), point(300, 200.5)], after: nil,
                                width: StrokeWidth.quantize(pixels: 8), tool: .pen)
        XCTAssertEqual(canvas[200, 204], 127, "a pixel centred on the edge is half covered (ink 128)")
        XCTAssertEqual(canvas[200, 203], 0)
        XCTAssertEqual(canvas[200, 205], 255)
    }

    func testDotIsRoundAndSymmetric() {
        var canvas = Canvas()
        let p = point(256, 256)
        CapsuleRasterizer.paint(&canvas, points: [p], after: nil, width: StrokeWidth.quantize(pixels: 10), tool: .pen)
        for (dx, dy) in [(3, 0), (0, 3), (-4, 0), (0, -4), (2, 2), (-3, -3)] {
            XCTAssertEqual(canvas[256 + dx, 256 + dy], canvas[256 - dx - 1, 256 - dy - 1],
                           "symmetric about the dot centre at (\(dx),\(dy))")
        }
        XCTAssertEqual(canvas[256, 256], 0)
        XCTAssertEqual(canvas[256 + 8, 256], 255)
        XCTAssertLessThan(canvas[256 + 3, 256 + 3], 255, "inside the circle diagonally")
    }

    func testLowerPressureDrawsThinnerLine() {
        var light = Canvas(), heavy = Canvas()
        let width = StrokeWidth.quantize(pixels: 16)
        CapsuleRasterizer.paint(&light, points: [point(50, 100.5, 0), point(450, 100.5, 0)], after: nil, width: width, tool: .pen)
        CapsuleRasterizer.paint(&heavy, points: [point(50, 100.5, 1), point(450, 100.5, 1)], after: nil, width: width, tool: .pen)
        let inkLight = light.pixels.filter { $0 < 128 }.count
        let inkHeavy = heavy.pixels.filter { $0 < 128 }.count
        XCTAssertEqual(StrokeWidth.radius(width: width, pressure: 0) * 4, StrokeWidth.radius(width: width, pressure: 255))
        XCTAssertLessThan(inkLight * 3, inkHeavy)
    }

    func testEraserRestoresPaperWhereItPasses() {
        var canvas = Canvas()
        let width = StrokeWidth.quantize(pixels: 8)
        CapsuleRasterizer.paint(&canvas, points: [point(100, 100.5), point(300, 100.5)], after: nil, width: width, tool: .pen)
        CapsuleRasterizer.paint(&canvas, points: [point(200.5, 50), point(200.5, 150)], after: nil,
                                width: StrokeWidth.quantize(pixels: 12), tool: .eraser)
        XCTAssertEqual(canvas[200, 100], 255)
        XCTAssertEqual(canvas[150, 100], 0)
    }

    func testContinuingABatchEqualsPaintingTheWholeStrokeAtOnce() {
        let points = (0..<40).map { i in point(60 + Double(i) * 9.3, 250 + 80 * sin(Double(i) / 5), Double(i % 7) / 6) }
        let width = StrokeWidth.quantize(pixels: 6)
        var whole = Canvas(), batched = Canvas()
        CapsuleRasterizer.paint(&whole, points: points, after: nil, width: width, tool: .pen)
        CapsuleRasterizer.paint(&batched, points: Array(points[0..<13]), after: nil, width: width, tool: .pen)
        CapsuleRasterizer.paint(&batched, points: Array(points[13..<29]), after: points[12], width: width, tool: .pen)
        CapsuleRasterizer.paint(&batched, points: Array(points[29...]), after: points[28], width: width, tool: .pen)
        XCTAssertEqual(whole, batched)
    }

    func testStrokeAtTheCanvasEdgeIsClipped() {
        var canvas = Canvas()
        let dirty = CapsuleRasterizer.paint(&canvas, points: [point(0, 0), point(512, 512)], after: nil,
                                            width: StrokeWidth.quantize(pixels: 20), tool: .pen)
        XCTAssertEqual(dirty, .full)
        XCTAssertEqual(canvas[0, 0], 0)
        XCTAssertEqual(canvas[511, 511], 0)
        XCTAssertEqual(canvas[511, 0], 255)
    }

    func testQuantisationRoundsHalfUp() {
        XCTAssertEqual(StrokePoint(pixelX: 10.03125, pixelY: 0, pressure: 0.5), StrokePoint(x: 161, y: 0, pressure: 128))
        XCTAssertEqual(StrokePoint(x: 161, y: 3, pressure: 128).unitPressure, 0.502)
    }

    func testEveryPressureSurvivesTheWireForm() {
        for p in 0...255 {
            let wire = StrokePoint(x: 0, y: 0, pressure: p).unitPressure
            XCTAssertEqual(StrokePoint(pixelX: 0, pixelY: 0, pressure: wire).pressure, p)
            XCTAssertLessThanOrEqual("\(wire)".count, 6)
        }
    }

    func testIntegerSquareRootIsExactAtPerfectSquareBoundaries() {
        for s in [0, 1, 2, 3, 1000, 46340, 3_037_000] {
            XCTAssertEqual(CapsuleRasterizer.integerSquareRoot(s * s), s)
            if s > 0 { XCTAssertEqual(CapsuleRasterizer.integerSquareRoot(s * s - 1), s - 1) }
        }
        XCTAssertEqual(CapsuleRasterizer.floorDiv(-7, 2), -4)
        XCTAssertEqual(CapsuleRasterizer.floorDiv(7, 2), 3)
    }

    /// A fixed stroke's checksum pins the exact bytes `web/js/raster.js` must reproduce (the JS port's test
    /// computes the same FNV-1a hash; see tests/sessions/test_raster_port.py).
    func testReferenceStrokeChecksum() {
        var canvas = Canvas()
        CapsuleRasterizer.paint(&canvas, points: Self.referencePoints, after: nil,
                                width: StrokeWidth.quantize(pixels: 7.5), tool: .pen)
        CapsuleRasterizer.paint(&canvas, points: [point(120, 300, 1), point(400, 310, 0.5)], after: nil,
                                width: StrokeWidth.quantize(pixels: 20), tool: .eraser)
        var hash: UInt32 = 2166136261
        for byte in canvas.pixels { hash = (hash ^ UInt32(byte)) &* 16777619 }
        XCTAssertEqual(hash, Self.referenceChecksum)
    }

    static let referencePoints: [StrokePoint] = (0..<30).map { i in
        StrokePoint(x: 1600 + i * 170, y: 4000 + (i % 5) * 300 - i * 20, pressure: (i * 37) % 256)
    }
    static let referenceChecksum: UInt32 = 558086462
}

/// The row spans only decide which pixels are tested: painting must give the bytes the bounding-box loop gave,
/// while testing about the capsule's area.
final class CapsuleShapeTests: XCTestCase {
    /// The rasteriser before spans: every pixel of the bounding box (the reference the bytes must equal).
    private func paintBoundingBox(_ canvas: inout Canvas, from a: StrokePoint, to b: StrokePoint, width: Int, tool: Tool) {
        let sub = StrokePoint.subpixels
        let ra = StrokeWidth.radius(width: width, pressure: a.pressure), rb = StrokeWidth.radius(width: width, pressure: b.pressure)
        let reach = max(ra, rb)
        let minX = max(0, CapsuleRasterizer.floorDiv(min(a.x, b.x) - reach, sub) - 1)
        let minY = max(0, CapsuleRasterizer.floorDiv(min(a.y, b.y) - reach, sub) - 1)
        let maxX = min(Canvas.size - 1, CapsuleRasterizer.floorDiv(max(a.x, b.x) + reach, sub) + 1)
        let maxY = min(Canvas.size - 1, CapsuleRasterizer.floorDiv(max(a.y, b.y) + reach, sub) + 1)
        guard minX <= maxX, minY <= maxY else { return }
        let dx = b.x - a.x, dy = b.y - a.y, den = dx * dx + dy * dy
        for j in minY...maxY {
            let cy = j * sub + sub / 2
            for i in minX...maxX {
                let cx = i * sub + sub / 2
                var qx = a.x * sub, qy = a.y * sub, r = reach
                if den > 0 {
                    var num = (cx - a.x) * dx + (cy - a.y) * dy
                    num = min(max(num, 0), den)
                    qx += CapsuleRasterizer.floorDiv(dx * sub * num, den)
                    qy += CapsuleRasterizer.floorDiv(dy * sub * num, den)
                    r = ra + CapsuleRasterizer.floorDiv((rb - ra) * num, den)
                }
                let ex = cx * sub - qx, ey = cy * sub - qy
                let cover = min(256, r * sub - CapsuleRasterizer.integerSquareRoot(ex * ex + ey * ey) + 128)
                if cover <= 0 { continue }
                let ink = (cover * 255 + 128) >> 8
                if tool == .pen { canvas[i, j] = min(canvas[i, j], UInt8(255 - ink)) } else { canvas[i, j] = max(canvas[i, j], UInt8(ink)) }
            }
        }
    }

    func testSpansPaintTheSameBytesAsTheBoundingBoxLoop() {
        var generator = SplitMix(seed: 7)
        for round in 0..<400 {
            var spans = Canvas(), box = Canvas()
            let coordinate = { (g: inout SplitMix) -> Int in
                // Mostly inside, sometimes exactly on the edges and corners.
                switch g.next() % 8 { case 0: return 0; case 1: return StrokePoint.maxCoordinate; default: return Int(g.next() % 8193) }
            }
            let a = StrokePoint(x: coordinate(&generator), y: coordinate(&generator), pressure: Int(generator.next() % 256))
            var b = StrokePoint(x: coordinate(&generator), y: coordinate(&generator), pressure: Int(generator.next() % 256))
            switch round % 5 {
            case 0: b = a                                             // a dot
            case 1: b.y = a.y                                         // horizontal
            case 2: b.x = a.x                                         // vertical
            case 3: b = StrokePoint(x: min(8192, a.x + 1), y: a.y, pressure: b.pressure)   // 1/16 px long
            default: break
            }
            let width = 8 + Int(generator.next() % 1017)              // 0.5 … 64 px
            let tool: Tool = round % 3 == 0 ? .eraser : .pen
            if tool == .eraser {                                      // something to erase
                CapsuleRasterizer.paintSegment(&spans, from: StrokePoint(x: 0, y: 4096, pressure: 255),
                                               to: StrokePoint(x: 8192, y: 4096, pressure: 255), width: 1024, tool: .pen)
                box = spans
            }
            CapsuleRasterizer.paintSegment(&spans, from: a, to: b, width: width, tool: tool)
            paintBoundingBox(&box, from: a, to: b, width: width, tool: tool)
            XCTAssertEqual(spans, box, "round \(round): \(a) → \(b), width \(width), \(tool)")
            if spans != box { return }
        }
    }

    func testWorstCaseDiagonalTestsAboutItsAreaNotItsBoundingBox() {
        let a = StrokePoint(x: 0, y: 0, pressure: 255), b = StrokePoint(x: 8192, y: 8192, pressure: 255)
        let width = StrokeWidth.quantize(pixels: 64)
        let shape = CapsuleShape(from: a, to: b, reach: StrokeWidth.radius(width: width, pressure: 255))
        var tested = 0
        for row in 0..<Canvas.size {
            if let (first, last) = shape.columns(row: row, within: 0...(Canvas.size - 1)) { tested += last - first + 1 }
        }
        var canvas = Canvas()
        CapsuleRasterizer.paintSegment(&canvas, from: a, to: b, width: width, tool: .pen)
        let covered = canvas.pixels.filter { $0 < 255 }.count
        XCTAssertLessThan(tested, covered + 4 * Canvas.size, "a margin of about two pixels per row side, nothing more")
        XCTAssertLessThan(tested * 4, Canvas.size * Canvas.size, "well under the 262 144 of the bounding box")
        XCTAssertGreaterThanOrEqual(CapsuleRasterizer.cost(points: [a, b], after: nil, width: width), tested,
                                    "the budget's estimate bounds the pixels actually tested")
    }
}

/// A tiny deterministic generator for the property tests.
struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E3779B97F4A7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58476D1CE4E5B9
        z = (z ^ (z >> 27)) &* 0x94D049BB133111EB
        return z ^ (z >> 31)
    }
}

/// Segments that stress the spans (edges, corners, dots, every width, both tools), pinned by checksum so
/// `web/js/raster.js` can be checked against the same bytes (tests/sessions/test_raster_port.py).
final class RasterPortTortureTests: XCTestCase {
    static let tortureChecksum: UInt32 = 3437224370

    func testTortureSegmentsChecksum() {
        var canvas = Canvas()
        for i in 0..<40 {
            let a = StrokePoint(x: i * 797 % 8193, y: i * 1531 % 8193, pressure: i * 37 % 256)
            let b = i % 5 == 0 ? a : StrokePoint(x: i * 2399 % 8193, y: (i * 113 + 4096) % 8193, pressure: i * 91 % 256)
            CapsuleRasterizer.paintSegment(&canvas, from: a, to: b, width: 8 + i * 26 % 1017, tool: i % 4 == 3 ? .eraser : .pen)
        }
        CapsuleRasterizer.paintSegment(&canvas, from: StrokePoint(x: 0, y: 8192, pressure: 255),
                                       to: StrokePoint(x: 8192, y: 0, pressure: 0), width: 1024, tool: .eraser)
        CapsuleRasterizer.paintSegment(&canvas, from: StrokePoint(x: 8192, y: 8192, pressure: 255),
                                       to: StrokePoint(x: 8192, y: 8192, pressure: 255), width: 1024, tool: .pen)
        var hash: UInt32 = 2166136261
        for byte in canvas.pixels { hash = (hash ^ UInt32(byte)) &* 16777619 }
        XCTAssertEqual(hash, Self.tortureChecksum)
    }
}
