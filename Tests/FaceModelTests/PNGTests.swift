import XCTest
import CPNG
@testable import FaceModel

final class PNGTests: XCTestCase {
    func testRGBImageRoundTripsThroughLibpng() throws {
        var rng = SeededRandom(seed: 2)
        let image = RGBImage(width: 7, height: 5, pixels: (0..<105).map { _ in UInt8(truncatingIfNeeded: rng.next()) })
        let decoded = try PNG.decodeRGBA(try PNG.encode(image))
        XCTAssertEqual(decoded.width, 7)
        XCTAssertEqual(decoded.height, 5)
        for i in 0..<35 {
            XCTAssertEqual(Array(decoded.rgba[(4 * i)..<(4 * i + 3)]), Array(image.pixels[(3 * i)..<(3 * i + 3)]))
            XCTAssertEqual(decoded.rgba[4 * i + 3], 255)
        }
    }

    func testShadowEncodesAsGreyZeroWithItsAlpha() throws {
        let shadow = Shadow(side: 3, alpha: [0, 10, 20, 30, 40, 50, 60, 70, 255])
        let bytes = try PNG.encode(shadow)
        XCTAssertEqual(bytes[25], 4)  // IHDR colour type 4 = grey + alpha
        let decoded = try PNG.decodeRGBA(bytes)
        XCTAssertEqual((0..<9).map { decoded.rgba[4 * $0 + 3] }, shadow.alpha)
        XCTAssertEqual((0..<9).map { decoded.rgba[4 * $0] }, [UInt8](repeating: 0, count: 9))
    }

    func testGreyRGBRGBAAndPaletteSketchesDecodeToTheSameCanvas() throws {
        var grey = [UInt8](repeating: 255, count: 512 * 512)
        for i in stride(from: 0, to: grey.count, by: 7) { grey[i] = 0 }
        let expected = Canvas(pixels: grey)
        XCTAssertEqual(try PNG.decodeCanvas(try PNG.encodeGrey(grey, width: 512, height: 512)), expected)
        let rgb = grey.flatMap { [$0, $0, $0] }
        XCTAssertEqual(try PNG.decodeCanvas(try PNG.encode(rgb, width: 512, height: 512, format: PNG.formatRGB)), expected)
        // Transparent background with opaque black strokes (a browser canvas export) reads as paper.
        let rgba = grey.flatMap { $0 == 0 ? [0, 0, 0, 255] : [0, 0, 0, 0] as [UInt8] }
        XCTAssertEqual(try PNG.decodeCanvas(try PNG.encode(rgba, width: 512, height: 512, format: PNG.formatRGBA)), expected)
        // Palette PNG written through libpng's colour-map path.
        let palette = try encodePalette(indices: grey.map { $0 == 0 ? 1 : 0 }, colours: [255, 255, 255, 0, 0, 0])
        XCTAssertEqual(palette[25], 3)  // IHDR colour type 3 = palette
        XCTAssertEqual(try PNG.decodeCanvas(palette), expected)
    }

    func encodePalette(indices: [UInt8], colours: [UInt8]) throws -> [UInt8] {
        var image = png_image()
        image.version = UInt32(PNG_IMAGE_VERSION)
        image.width = 512; image.height = 512
        image.format = 0x02 | 0x08  // RGB | COLORMAP
        image.colormap_entries = UInt32(colours.count / 3)
        var size = 0
        _ = indices.withUnsafeBytes { i in colours.withUnsafeBytes { c in png_image_write_to_memory(&image, nil, &size, 0, i.baseAddress, 0, c.baseAddress) } }
        var out = [UInt8](repeating: 0, count: size)
        let ok = out.withUnsafeMutableBytes { o in indices.withUnsafeBytes { i in colours.withUnsafeBytes { c in png_image_write_to_memory(&image, o.baseAddress, &size, 0, i.baseAddress, 0, c.baseAddress) } } }
        XCTAssertNotEqual(ok, 0, PNG.message(image))
        return Array(out.prefix(size))
    }

    func testWrongSizeNonPNGAndTruncatedPNGAreSwiftErrors() throws {
        let small = try PNG.encodeGrey([UInt8](repeating: 255, count: 64), width: 8, height: 8)
        XCTAssertThrowsError(try PNG.decodeCanvas(small, file: "s.png")) { XCTAssertEqual($0 as? PNGError, .wrongSize(file: "s.png", width: 8, height: 8, expected: 512)) }
        XCTAssertThrowsError(try PNG.decodeCanvas(Array("GIF89a.......".utf8), file: "g.png")) { XCTAssertEqual($0 as? PNGError, .notPNG(file: "g.png")) }
        let full = try PNG.encodeGrey([UInt8](repeating: 3, count: 512 * 512), width: 512, height: 512)
        for cut in [8, 20, 33, full.count / 2, full.count - 13] {
            XCTAssertThrowsError(try PNG.decodeCanvas(Array(full.prefix(cut)), file: "t.png"), "cut \(cut)") { error in
                guard case PNGError.decode(let file, let reason) = error else { return XCTFail("\(error)") }
                XCTAssertEqual(file, "t.png")
                XCTAssertFalse(reason.isEmpty)
            }
        }
        XCTAssertThrowsError(try PNG.readCanvas(path: "/nonexistent/sketch.png")) { XCTAssertTrue("\($0)".contains("No such file")) }
    }

    func testCorruptedPNGBytesNeverCrash() throws {
        let full = try PNG.encodeGrey((0..<(512 * 512)).map { UInt8($0 % 251) }, width: 512, height: 512)
        var rng = SeededRandom(seed: 12)
        for _ in 0..<200 {
            var b = full
            for _ in 0..<rng.int(1...6) { b[rng.int(8...(b.count - 1))] = UInt8(truncatingIfNeeded: rng.next()) }
            _ = try? PNG.decodeCanvas(b)
        }
    }
}
