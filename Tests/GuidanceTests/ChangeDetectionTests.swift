import XCTest
@testable import Guidance

final class ChangeDetectionTests: XCTestCase {
    let layout = testLayout
    let blank = CanvasSnapshot.blank()

    private func changed(_ after: CanvasSnapshot, dirty: PixelRect? = nil) -> [String] {
        ChangeDetection.changedComponents(layout: layout, before: blank, after: after, dirty: dirty)
            .map { layout.components[$0].name }
    }

    func testStrokeInsideLeftEyeChangesOnlyLeftEye() {
        XCTAssertEqual(changed(canvas(seq: 1, inkSquares: [(150, 200, 10)])), ["left_eye"])
    }

    func testStrokeOutsideEveryPartChangesOnlyRemainder() {
        XCTAssertEqual(changed(canvas(seq: 1, inkSquares: [(20, 20, 30)])), ["remainder"])
    }

    func testStrokeWhereNoseAndMouthOverlapChangesBoth() {
        // nose window y 232..<392, mouth y 300..<492; both cover x 200.
        XCTAssertEqual(changed(canvas(seq: 1, inkSquares: [(250, 320, 8)])), ["nose", "mouth"])
    }

    func testStrokeCrossingTheEyeBorderChangesEyeAndRemainder() {
        XCTAssertEqual(changed(canvas(seq: 1, inkSquares: [(100, 200, 20)])), ["left_eye", "remainder"])
    }

    func testIdenticalCanvasesChangeNothing() {
        XCTAssertEqual(changed(CanvasSnapshot.blank(seq: 9)), [])
    }

    func testWindowIsTheBoxSnappedToTheModelGrid() {
        // right_eye box x = 255 at f = 2 reads canvas columns 254..<382: a change at column 254 is the eye's.
        XCTAssertEqual(layout.window(of: 1), PixelRect(x: 254, y: 156, width: 128, height: 128))
        XCTAssertEqual(changed(canvas(seq: 1, inkSquares: [(254, 200, 1)])), ["right_eye"])
        XCTAssertEqual(changed(canvas(seq: 1, inkSquares: [(382, 200, 1)])), ["remainder"])
    }

    func testDirtyRectBoundsTheComparison() {
        let after = canvas(seq: 1, inkSquares: [(150, 200, 10), (20, 20, 10)])
        XCTAssertEqual(changed(after, dirty: PixelRect(x: 140, y: 190, width: 40, height: 40)), ["left_eye"])
        XCTAssertEqual(changed(after, dirty: nil), ["left_eye", "remainder"])
        XCTAssertEqual(changed(after, dirty: PixelRect(x: 0, y: 0, width: 0, height: 0)), [])
    }

    func testEveryComponentChangesWhenTheWholeCanvasIsInked() {
        let after = CanvasSnapshot(seq: 1, pixels: [UInt8](repeating: 0, count: 512 * 512))
        XCTAssertEqual(changed(after), ["left_eye", "right_eye", "nose", "mouth", "remainder"])
    }

    func testBlankCanvasIsBlankAndOneInkPixelIsNot() {
        XCTAssertTrue(blank.isBlank)
        var pixels = blank.pixels
        pixels[512 * 512 - 1] = 254
        XCTAssertFalse(CanvasSnapshot(seq: 1, pixels: pixels).isBlank)
    }
}
