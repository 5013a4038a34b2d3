import XCTest
import Sessions
@testable import Guidance

/// The wire layouts of docs/PROTOCOL.md, "Guidance messages", byte for byte.
final class GuidanceMessageTests: XCTestCase {
    func testShadowHeaderIsKindComponentBoxAndSeqBigEndian() {
        let box = ComponentBox(name: "right_eye", x: 255, y: 156, side: 128)
        let message = GuidanceMessage.shadow(ShadowUpdate(component: 1, box: box, seq: 0x0102_0304_0506_0708, png: [0x89, 0x50]))
        XCTAssertEqual(message.wire, .binary([0x01, 0x01, 0x00, 0xFF, 0x00, 0x9C, 0x00, 0x80,
                                              0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x89, 0x50]))
    }

    func testFrameHeaderIsKindFlagsNumberAndSeqBigEndian() {
        let message = GuidanceMessage.frame(FaceFrame(seq: 42, number: 7, isDefault: true, png: [0x89]))
        XCTAssertEqual(message.wire, .binary([0x02, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x07,
                                              0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x2A, 0x89]))
    }

    func testBinaryMessagesDecodeBackAndGarbageDoesNot() {
        let frame = FaceFrame(seq: 9, number: 3, isDefault: false, png: [1, 2, 3])
        guard case .binary(let bytes) = GuidanceMessage.frame(frame).wire else { return XCTFail("not binary") }
        XCTAssertEqual(GuidanceMessage.decode(binary: bytes), .frame(frame))
        XCTAssertNil(GuidanceMessage.decode(binary: Array(bytes.prefix(15))), "shorter than the header")
        XCTAssertNil(GuidanceMessage.decode(binary: [0x04] + Array(bytes.dropFirst())), "unknown kind")
    }

    func testCandidateHeaderIsKindFlagsIndexCountRefAndSeqBigEndian() {
        let face = CandidateFace(appearance: 2, count: 4, ref: 0x0102_0304, seq: 42, isDefault: true, png: [0x89])
        let message = GuidanceMessage.candidate(face)
        XCTAssertEqual(message.wire, .binary([0x03, 0x01, 0x02, 0x04, 0x01, 0x02, 0x03, 0x04,
                                              0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x2A, 0x89]))
        guard case .binary(let bytes) = message.wire else { return XCTFail("not binary") }
        XCTAssertEqual(GuidanceMessage.decode(binary: bytes), message)
        // docs/PROTOCOL.md's example: code 2 of a 4-face answer to ref 25, reflecting operation 42.
        let example = GuidanceMessage.candidate(CandidateFace(appearance: 2, count: 4, ref: 25, seq: 42, isDefault: false, png: [0x89, 0x50, 0x4E, 0x47]))
        XCTAssertEqual(example.wire, .binary([0x03, 0x00, 0x02, 0x04, 0x00, 0x00, 0x00, 0x19,
                                              0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x2A, 0x89, 0x50, 0x4E, 0x47]))
    }

    func testARefusalIsTheSessionsErrorMessageWithItsRef() {
        let refusal = GuidanceMessage.refusal(.candidatesUnavailable("the model failed on this sketch"), ref: 5)
        XCTAssertEqual(refusal.wire, .text(#"{"type":"error","code":"unavailable","message":"no candidate faces: the model failed on this sketch","ref":5}"#))
    }

    func testStatusAndBusyAreJSONTextWithStableKeys() {
        let off = GuidanceMessage.status(enabled: false, reason: "no model", mode: .onDemand, layout: nil)
        XCTAssertEqual(off.wire, .text(#"{"enabled":false,"mode":"on_demand","reason":"no model","type":"guidance"}"#))
        let on = GuidanceMessage.status(enabled: true, reason: nil, mode: .live, layout: testLayout)
        guard case .text(let text) = on.wire else { return XCTFail("not text") }
        XCTAssertTrue(text.contains(#""components":[{"box":[108,156,128],"name":"left_eye"}"#), text)
        XCTAssertTrue(text.contains(#""resolution":256"#), text)
        XCTAssertEqual(GuidanceMessage.busy(true).wire, .text(#"{"busy":true,"type":"guidance.busy"}"#))
    }

    func testSliderWeightsAreComponentTimesMasterClamped() {
        let values = SliderValues().merging(["left_eye": 0.2, "nose": 1, "master": 0.5])
        XCTAssertEqual(values.weights(for: testLayout), [0.1, 0.25, 0.5, 0.25, 0.25])
        XCTAssertEqual(SliderValues.fullyProjected(for: testLayout), [1, 1, 1, 1, 1])
    }
}
