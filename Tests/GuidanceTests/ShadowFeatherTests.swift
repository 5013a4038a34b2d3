import FaceModel
import XCTest
@testable import Guidance

/// Part shadows fade out towards their box edges so the composited guide shows no rectangular tiles.
final class ShadowFeatherTests: XCTestCase {
    func testMaskRampsLinearlyOverTheOuterTwelvePercentAndIsOneInside() {
        let side = 50  // ramp 6 px
        let mask = ShadowFeather.mask(side: side)
        XCTAssertEqual(mask.count, side * side)
        func m(_ x: Int, _ y: Int) -> Float { mask[y * side + x] }
        XCTAssertEqual(m(25, 25), 1)
        XCTAssertEqual(m(6, 25), 1, "6.5 px from the edge: past the ramp")
        XCTAssertEqual(m(0, 25), 0.5 / 6, accuracy: 1e-6)
        XCTAssertEqual(m(2, 25), 2.5 / 6, accuracy: 1e-6)
        XCTAssertEqual(m(0, 0), 0.5 / 6, accuracy: 1e-6, "a corner is as faint as the edge")
        for y in 0..<side {
            for x in 0..<side {
                XCTAssertEqual(m(x, y), m(side - 1 - x, y))
                XCTAssertEqual(m(x, y), m(y, x))
                XCTAssertEqual(m(x, y), m(x, side - 1 - y))
            }
        }
        for x in 0..<(side / 2) { XCTAssertLessThanOrEqual(m(x, 25), m(x + 1, 25), "rises towards the centre") }
    }

    func testFeatheringFadesTheBorderKeepsTheInteriorAndNeverDarkens() {
        var rng = SystemRandomNumberGenerator()
        let side = 20
        let solid = ShadowFeather.apply(to: Shadow(side: side, alpha: [UInt8](repeating: 255, count: side * side)))
        XCTAssertEqual(solid.alpha[10 * side + 10], 255)
        for i in 0..<side {
            XCTAssertLessThanOrEqual(solid.alpha[i], 54, "top row: 255 × 0.5 / 2.4 rounded")
            XCTAssertLessThanOrEqual(solid.alpha[i * side], 54, "left column")
            XCTAssertLessThanOrEqual(solid.alpha[(side - 1) * side + i], 54, "bottom row")
        }
        let random = Shadow(side: side, alpha: (0..<(side * side)).map { _ in UInt8.random(in: 0...255, using: &rng) })
        let feathered = ShadowFeather.apply(to: random)
        for (a, b) in zip(random.alpha, feathered.alpha) { XCTAssertLessThanOrEqual(b, a) }
        XCTAssertEqual(ShadowFeather.apply(to: Shadow(side: side, alpha: [UInt8](repeating: 0, count: side * side))).alpha,
                       [UInt8](repeating: 0, count: side * side))
    }

    func testTheEngineSendsFeatheredPartShadowsAndTheRemainderAsItIs() throws {
        let engine = try FaceModelEngine(directory: tinyModelDirectory)
        let model = engine.model
        let canvas = canvas(seq: 1, inkSquares: [(150, 200, 40), (300, 200, 40), (240, 330, 60), (60, 60, 80)])
        for component in 0..<engine.layout.count {
            let latent = try engine.encode(component: component, canvas: canvas)
            let png = try PNG.decodeRGBA(try engine.shadowPNG(component: component, latent: latent))
            let alpha = (0..<(png.width * png.height)).map { png.rgba[4 * $0 + 3] }
            let raw = model.shadow(neighbours: model.nearest([latent], component: component, k: model.manifest.kShadow)[0], component: component)
            let expected = engine.layout.isRemainder(component) ? raw.alpha : ShadowFeather.apply(to: raw).alpha
            XCTAssertEqual(alpha, expected, "component \(component)")
        }
    }
}
