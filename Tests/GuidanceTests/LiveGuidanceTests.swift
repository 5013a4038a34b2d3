import XCTest
import Sessions
@testable import Guidance

/// The threaded shell with real worker threads and a fake engine that takes time like the real one.
final class LiveGuidanceTests: XCTestCase {
    private func start(
        _ engine: CountingEngine?, workers: Int = 2, throttle: Double = 0.1
    ) -> (LiveGuidance, RecordingAudience) {
        let audience = RecordingAudience()
        let guidance = LiveGuidance(
            engine: engine, settings: .init(workers: workers, throttle: throttle), audience: audience)
        addTeardownBlock { guidance.shutdown() }
        return (guidance, audience)
    }

    func testBurstOfStrokesGivesIncreasingFramesEndingWithTheLastStroke() {
        let engine = CountingEngine(synthesisDelay: 0.05)
        let (guidance, audience) = start(engine)
        guidance.open(session: "s", canvas: .blank())
        var squares = [(Int, Int, Int)]()
        for seq in 1...30 {
            squares.append((10 + 4 * seq, 20, 3))
            guidance.canvasChanged(session: "s", canvas: canvas(seq: UInt64(seq), inkSquares: squares),
                                   dirty: nil, strokeInProgress: false)
            Thread.sleep(forTimeInterval: 0.005)
        }
        XCTAssertTrue(audience.wait { audience.frames("s").last?.seq == 30 }, "last frame reflects the last stroke")
        let frames = audience.frames("s")
        XCTAssertEqual(frames.map(\.number), frames.map(\.number).sorted())
        XCTAssertEqual(Set(frames.map(\.number)).count, frames.count, "frame numbers strictly increase")
        XCTAssertEqual(frames.map(\.seq), frames.map(\.seq).sorted(), "frame seqs never go back")
        XCTAssertLessThan(frames.count, 15, "intermediate frames are skipped, not queued: \(frames.count)")
        // The last frame is the synthesis of the complete sketch.
        XCTAssertEqual(String(decoding: frames.last!.png, as: UTF8.self).split(separator: " ")[1], "\(30 * 9 * 255)")
        // Quiet afterwards: no backlog drains later.
        let count = frames.count
        Thread.sleep(forTimeInterval: 0.2)
        XCTAssertEqual(audience.frames("s").count, count)
        XCTAssertEqual(audience.texts("s").last, #"{"busy":false,"type":"guidance.busy"}"#)
    }

    func testTwoBusySessionsGetFairShares() {
        let engine = CountingEngine(synthesisDelay: 0.02)
        let (guidance, audience) = start(engine, workers: 2)
        guidance.open(session: "a", canvas: .blank())
        guidance.open(session: "b", canvas: .blank())
        // Session a draws five times as often as b; both always have a newer face wanted.
        let deadline = Date(timeIntervalSinceNow: 1.0)
        var seq: UInt64 = 0
        while Date() < deadline {
            seq += 1
            let squares = [(Int(seq % 200) + 10, 20, 3)]
            for _ in 0..<5 {
                guidance.canvasChanged(session: "a", canvas: canvas(seq: seq, inkSquares: squares), dirty: nil, strokeInProgress: false)
            }
            guidance.canvasChanged(session: "b", canvas: canvas(seq: seq, inkSquares: squares), dirty: nil, strokeInProgress: false)
            Thread.sleep(forTimeInterval: 0.01)
        }
        audience.wait(timeout: 1) { audience.texts("a").last?.contains("false") == true && audience.texts("b").last?.contains("false") == true }
        let a = audience.frames("a").count, b = audience.frames("b").count
        XCTAssertGreaterThan(a, 3)
        XCTAssertGreaterThan(b, 3)
        XCTAssertLessThanOrEqual(abs(a - b), max(2, (a + b) / 5), "a: \(a) frames, b: \(b) frames")
    }

    func testSliderChangeSendsANewFrameWithoutEncoding() {
        let engine = CountingEngine()
        let (guidance, audience) = start(engine)
        guidance.open(session: "s", canvas: canvas(seq: 4, inkSquares: [(150, 200, 10)]))
        XCTAssertTrue(audience.wait { audience.frames("s").count == 1 })
        let encodes = engine.encodes.count
        guidance.slidersChanged(session: "s", sliders: sliders(["master": 0.25]))
        XCTAssertTrue(audience.wait { audience.frames("s").count == 2 })
        XCTAssertEqual(engine.encodes.count, encodes)
        XCTAssertEqual(audience.frames("s").last?.seq, 4)
        XCTAssertEqual(engine.syntheses.last, [0.125, 0.125, 0.125, 0.125, 0.125])
    }

    func testShadowsArriveWhileASlowSynthesisRuns() {
        let engine = CountingEngine(synthesisDelay: 1.0)
        let (guidance, audience) = start(engine, workers: 2)
        guidance.open(session: "s", canvas: .blank())
        XCTAssertTrue(audience.wait { audience.shadows("s").count == 5 })
        // The default face is being synthesised now (1 s); a stroke's shadow must not wait for it.
        let sent = Date()
        guidance.canvasChanged(session: "s", canvas: canvas(seq: 1, inkSquares: [(150, 200, 10)]), dirty: nil, strokeInProgress: false)
        XCTAssertTrue(audience.wait(timeout: 2) { audience.shadows("s").count == 6 })
        XCTAssertLessThan(Date().timeIntervalSince(sent), 0.6)
        XCTAssertEqual(audience.shadows("s").last?.component, 0)
    }

    func testAPartsShadowDoesNotWaitForTheRemaindersEncode() {
        let engine = CountingEngine()
        let (guidance, audience) = start(engine)
        guidance.open(session: "s", canvas: .blank())
        XCTAssertTrue(audience.wait { audience.frames("s").count == 1 })
        engine.slowComponents = [4: 1.0]
        let sent = Date()
        // Crosses the left eye's border: the eye and the remainder change.
        guidance.canvasChanged(session: "s", canvas: canvas(seq: 1, inkSquares: [(100, 200, 20)]), dirty: nil, strokeInProgress: false)
        XCTAssertTrue(audience.wait { audience.shadows("s").contains { $0.seq == 1 && $0.component == 0 } })
        XCTAssertLessThan(Date().timeIntervalSince(sent), 0.6, "the eye's shadow came before the remainder was encoded")
        XCTAssertTrue(audience.wait { audience.shadows("s").contains { $0.seq == 1 && $0.component == 4 } })
        XCTAssertEqual(audience.shadows("s").filter { $0.seq == 1 }.map(\.component), [0, 4], "each sent once")
    }

    func testJoiningPeerGetsCurrentShadowsAndFace() {
        let (guidance, audience) = start(CountingEngine())
        guidance.open(session: "s", canvas: canvas(seq: 2, inkSquares: [(300, 200, 10)]))
        XCTAssertTrue(audience.wait { audience.frames("s").count == 1 })
        let join = guidance.joinMessages(session: "s")
        guard case .text(let status)? = join.first else { return XCTFail("status first") }
        XCTAssertTrue(status.contains(#""enabled":true"#), status)
        XCTAssertTrue(status.contains(#""name":"right_eye""#), status)
        let binaries = join.compactMap { if case .binary(let b) = $0 { return GuidanceMessage.decode(binary: b) } else { return nil } }
        XCTAssertEqual(binaries.count, 6)
        XCTAssertEqual(binaries.last.flatMap { (m: GuidanceMessage) -> UInt64? in if case .frame(let f) = m { return f.seq } else { return nil } }, 2)
    }

    func testWithoutAModelSketchingGoesOnAndClientsAreToldGuidanceIsOff() {
        let (guidance, audience) = start(nil)
        XCTAssertFalse(guidance.isEnabled)
        guidance.open(session: "s", canvas: .blank())
        guidance.canvasChanged(session: "s", canvas: canvas(seq: 1, inkSquares: [(150, 200, 10)]), dirty: nil, strokeInProgress: false)
        guidance.slidersChanged(session: "s", sliders: sliders(["master": 0.3]))
        guidance.convert(session: "s")
        XCTAssertEqual(guidance.joinMessages(session: "s"),
                       [.text(#"{"enabled":false,"mode":"live","reason":"no face model loaded","type":"guidance"}"#)])
        Thread.sleep(forTimeInterval: 0.05)
        XCTAssertTrue(audience.decoded("s").isEmpty)
    }

    func testLongStrokeGetsThrottledShadowsAndOneFaceAtTheEnd() {
        let engine = CountingEngine()
        let (guidance, audience) = start(engine, throttle: 0.1)
        guidance.open(session: "s", canvas: .blank())
        XCTAssertTrue(audience.wait { audience.frames("s").count == 1 })
        // 0.5 s of point batches every 10 ms inside the left eye.
        let began = Date()
        var size = 1
        while Date().timeIntervalSince(began) < 0.5 {
            size = min(size + 1, 60)
            guidance.canvasChanged(session: "s", canvas: canvas(seq: 1, inkSquares: [(150, 160, size)]), dirty: nil, strokeInProgress: true)
            Thread.sleep(forTimeInterval: 0.01)
        }
        guidance.canvasChanged(session: "s", canvas: canvas(seq: 1, inkSquares: [(150, 160, 61)]), dirty: nil, strokeInProgress: false)
        XCTAssertTrue(audience.wait { audience.frames("s").count >= 2 })
        Thread.sleep(forTimeInterval: 0.1)
        let eyeShadows = audience.shadows("s").filter { $0.component == 0 }.count - 1
        XCTAssertGreaterThanOrEqual(eyeShadows, 3, "shadows keep coming during the stroke")
        XCTAssertLessThanOrEqual(eyeShadows, 8, "at most one per 100 ms plus the stroke end: \(eyeShadows)")
        XCTAssertEqual(engine.syntheses.count, 2, "no faces mid-stroke")
    }

    func testManySessionsDrawingHardKeepGuidanceStateBounded() {
        let engine = CountingEngine(synthesisDelay: 0.01)
        let (guidance, audience) = start(engine, workers: 2)
        let sessions = (0..<8).map { "s\($0)" }
        for session in sessions { guidance.open(session: session, canvas: .blank()) }
        var pixels = [UInt8](repeating: 255, count: 512 * 512)
        for seq in 1...100 {
            pixels[30 * 512 + seq] = 0
            let snapshot = CanvasSnapshot(seq: UInt64(seq), pixels: pixels)
            for session in sessions {
                guidance.canvasChanged(session: session, canvas: snapshot, dirty: nil, strokeInProgress: false)
            }
        }
        // 800 strokes arrived at once; every session still converges on its last stroke.
        for session in sessions {
            XCTAssertTrue(audience.wait(timeout: 10) { audience.frames(session).last?.seq == 100 },
                          "\(session): \(audience.frames(session).map(\.seq))")
        }
        XCTAssertLessThan(guidance.counters.syntheses, 8 * 20, "intermediate faces were skipped")
    }
}
