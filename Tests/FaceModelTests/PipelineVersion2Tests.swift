import XCTest
@testable import FaceModel

/// The version 2 pipeline on a Swift-written tiny model: the manifest's input normalisation, the generator's
/// sketch block and the appearance code.
final class PipelineVersion2Tests: XCTestCase {
    static var model: FaceModel!

    override class func setUp() {
        super.setUp()
        model = try! FaceModel(directory: try! TinyModel.makeDirectory(version: 2))
    }
    var model: FaceModel { Self.model }
    let normalise = { (u8: UInt8) in Float(u8) * Float(TinyModel.normalisation.scale) + Float(TinyModel.normalisation.offset) }

    func testCropsReachTheEncoderNormalisedByTheManifest() {
        let crop = model.crops(TinyModel.sketch(seed: 3))[2]
        let input = model.networkInput(crop)
        XCTAssertEqual(input, crop.pixels.map(normalise))
        XCTAssertEqual(model.encode(crop, component: 2, workspace: Workspace()), model.encoders[2](input, workspace: Workspace()))
    }

    func testGeneratorInputIsTheFusedMapThenTheWholeNormalisedSketch() {
        // Ink inside the nose box: blanked in the remainder's crop, present in the sketch block.
        var canvas = Canvas()
        for y in 260..<300 { for x in 220..<280 { canvas.pixels[y * 512 + x] = 0 } }
        let session = FaceSession(model: model)
        session.update(canvas)
        let ws = Workspace()
        let fused = session.fusedFeatures(workspace: ws)
        let input = session.generatorInput(workspace: ws)
        XCTAssertEqual(input.shape, [TinyModel.channels + 1, 64, 64])
        let plane = 64 * 64
        XCTAssertEqual(Array(input.data[..<(TinyModel.channels * plane)]), fused.data)
        let small = canvas.downsampled(factor: 8)
        XCTAssertEqual(Array(input.data[(TinyModel.channels * plane)...]), small.map(normalise))
        let inBox = 34 * 64 + 31
        XCTAssertEqual(small[inBox], 0)
        XCTAssertEqual(session.crop(component: 4).pixels[inBox], 255, "the remainder crop blanks the box; the sketch block does not")
        XCTAssertEqual(input.data[TinyModel.channels * plane + inBox], normalise(0))
    }

    func testTheDefaultAppearanceIsThePaletteDefault() {
        XCTAssertEqual(model.defaultAppearance, TinyModel.palette[TinyModel.paletteDefault])
        let session = FaceSession(model: model)
        XCTAssertEqual(session.appearance, TinyModel.palette[1])
        let canvas = TinyModel.sketch(seed: 8)
        XCTAssertEqual(model.synthesize(canvas, workspace: Workspace()),
                       model.synthesize(canvas, appearance: TinyModel.palette[1], workspace: Workspace()))
    }

    func testAnAppearanceChangeRerunsOnlyTheGenerator() {
        let ws = Workspace()
        let session = FaceSession(model: model)
        session.update(TinyModel.sketch(seed: 10))
        let first = session.face(workspace: ws)
        let before = session.counters
        session.setAppearance(TinyModel.palette[2])
        let second = session.face(workspace: ws)
        XCTAssertNotEqual(second, first)
        var expected = before
        expected.generations += 1
        XCTAssertEqual(session.counters, expected, "no encode, search or mapping for an appearance change")
        session.setAppearance(TinyModel.palette[2])
        _ = session.face(workspace: ws)
        XCTAssertEqual(session.counters, expected, "the same code again changes nothing")
        XCTAssertEqual(second, model.synthesize(TinyModel.sketch(seed: 10), appearance: TinyModel.palette[2], workspace: Workspace()))
    }

    func testAppearanceCodesAreClampedToPlusMinusOne() {
        let session = FaceSession(model: model)
        session.setAppearance([5, -3, 0.5, .nan, 1, -1])
        XCTAssertEqual(session.appearance, [1, -1, 0.5, 0, 1, -1])
        let canvas = TinyModel.sketch(seed: 12)
        XCTAssertEqual(model.synthesize(canvas, appearance: [9, -9, 0.5, 0, 2, -7], workspace: Workspace()),
                       model.synthesize(canvas, appearance: [1, -1, 0.5, 0, 1, -1], workspace: Workspace()))
    }

    func testVersion2StageFunctionsAgreeWithTheSession() {
        let canvas = TinyModel.sketch(seed: 14)
        let image = model.stageByStage(canvas, appearance: TinyModel.palette[0], workspace: Workspace())
        XCTAssertEqual(model.synthesize(canvas, appearance: TinyModel.palette[0], workspace: Workspace()), image)
        XCTAssertGreaterThan(Set(image.pixels).count, 10)
    }
}
