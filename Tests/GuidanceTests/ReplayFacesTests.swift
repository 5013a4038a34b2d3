import Foundation
import Sessions
import XCTest
@testable import Guidance

final class ReplayFacesTests: XCTestCase {
    /// Waits for one `face` answer.
    private func face(_ faces: ReplayFaces, key: String, canvas: CanvasSnapshot, sliders: SliderValues = SliderValues()) throws -> [UInt8] {
        let done = expectation(description: key)
        let box = Box()
        faces.face(key: key, canvas: canvas, sliders: sliders, appearance: nil) { result in box.result = result; done.fulfill() }
        wait(for: [done], timeout: 5)
        return try box.result!.get()
    }

    private final class Box: @unchecked Sendable { var result: Result<[UInt8], Error>? }

    func testAPastStateIsSynthesisedOnceWithEveryComponentEncodedAndTheSlidersWeights() throws {
        let engine = CountingEngine()
        let faces = ReplayFaces(engine: engine)
        var pixels = [UInt8](repeating: 255, count: 512 * 512)
        for x in 100..<400 { pixels[256 * 512 + x] = 0 }
        let canvas = CanvasSnapshot(seq: 7, pixels: pixels)
        let sliders = SliderValues().merging(["master": 0.5, "nose": 0.2])
        let first = try face(faces, key: "s/7", canvas: canvas, sliders: sliders)
        XCTAssertEqual(try face(faces, key: "s/7", canvas: canvas, sliders: sliders), first, "cached")
        XCTAssertEqual(engine.encodes, Array(0..<engine.layout.count), "every component encoded once, for one face")
        XCTAssertEqual(engine.syntheses, [sliders.weights(for: engine.layout)])
    }

    func testTheEmptyCanvasGetsTheDefaultFaceWeights() throws {
        let engine = CountingEngine()
        _ = try face(ReplayFaces(engine: engine), key: "s/0", canvas: .blank())
        XCTAssertEqual(engine.syntheses, [SliderValues.fullyProjected(for: engine.layout)])
    }

    func testAFailedSynthesisIsReportedAndNotCached() throws {
        let engine = CountingEngine()
        engine.failEncodes = true
        let faces = ReplayFaces(engine: engine)
        XCTAssertThrowsError(try face(faces, key: "s/3", canvas: .blank(seq: 3)))
        engine.failEncodes = false
        XCTAssertNoThrow(try face(faces, key: "s/3", canvas: .blank(seq: 3)))
    }
}
