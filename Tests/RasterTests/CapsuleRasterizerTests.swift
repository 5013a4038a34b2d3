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
