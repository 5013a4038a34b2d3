import XCTest
import Sessions
@testable import Guidance

/// The scheduler driven by hand: jobs are taken and run one by one, so every ordering is deterministic.
final class GuidanceSchedulerTests: XCTestCase {
    let engine = CountingEngine()
    var scheduler = GuidanceScheduler(layout: testLayout, throttle: 0.1)
    var now = 0.0

    /// Takes and runs jobs until none is ready; returns the deliveries.
    @discardableResult
    func drain(lane: GuidanceScheduler.Lane = .any) throws -> [GuidanceScheduler.Delivery] {
        var deliveries = [GuidanceScheduler.Delivery]()
        while let job = scheduler.nextJob(lane: lane, now: now) {
            deliveries += try finish(job)
        }
        return deliveries
    }

    func finish(_ job: GuidanceJob) throws -> [GuidanceScheduler.Delivery] {
        switch job {
        case .encode(let encode): return scheduler.finishEncode(try encode.run(engine: engine), now: now)
        case .synthesize(let synthesis): return scheduler.finishSynthesis(synthesis, frame: try synthesis.run(engine: engine))
        case .candidates(let candidates): return scheduler.finishCandidates(candidates, faces: try candidates.run(engine: engine))
        }
    }

    func openBlank(_ session: String = "a", mode: GuidanceMode = .live) throws {
        _ = scheduler.open(session: session, canvas: .blank(), sliders: SliderValues(), mode: mode, now: now)
        try drain()
    }

    func stroke(_ session: String = "a", seq: UInt64, squares: [(Int, Int, Int)], inProgress: Bool = false) -> [GuidanceScheduler.Delivery] {
        scheduler.canvasChanged(session: session, canvas: canvas(seq: seq, inkSquares: squares), dirty: nil,
                                strokeInProgress: inProgress, now: now)
    }

    func testOpeningEncodesEveryComponentOnceAndMakesTheDefaultFace() throws {
        _ = scheduler.open(session: "a", canvas: .blank(), sliders: sliders(["nose": 0.1]), mode: .live, now: now)
        let deliveries = try drain()
        XCTAssertEqual(engine.encodes, [0, 1, 2, 3, 4])
        XCTAssertEqual(deliveries.compactMap(\.shadow).map(\.component), [0, 1, 2, 3, 4])
        let frames = deliveries.compactMap(\.frame)
        XCTAssertEqual(frames.count, 1)
        XCTAssertTrue(frames[0].isDefault)
        // The empty canvas ignores the sliders: every part fully projected.
        XCTAssertEqual(engine.syntheses, [[1, 1, 1, 1, 1]])
    }

    func testStrokeInOneComponentTriggersExactlyOneShadowUpdate() throws {
        try openBlank()
        let before = engine.encodes.count
        _ = stroke(seq: 1, squares: [(150, 200, 10)])
        let deliveries = try drain()
        let shadows = deliveries.compactMap(\.shadow)
        XCTAssertEqual(shadows.map(\.component), [0])
        XCTAssertEqual(shadows.first?.seq, 1)
        XCTAssertEqual(shadows.first?.box, testLayout.components[0])
        XCTAssertEqual(Array(engine.encodes[before...]), [0])
        XCTAssertEqual(deliveries.compactMap(\.frame).map(\.seq), [1])
    }

    func testBurstWhileSynthesisRunsCollapsesIntoOneRunOfTheNewestCanvas() throws {
        try openBlank()
        _ = stroke(seq: 1, squares: [(150, 200, 10)])
        guard case .encode(let first)? = scheduler.nextJob(lane: .any, now: now) else { return XCTFail("no encode") }
        _ = scheduler.finishEncode(try first.run(engine: engine), now: now)
        guard case .synthesize(let running)? = scheduler.nextJob(lane: .any, now: now) else { return XCTFail("no synthesis") }
        XCTAssertEqual(running.seq, 1)
        // Five strokes land while the face for stroke 1 is computed.
        var squares = [(150, 200, 10)]
        for seq in 2...6 {
            squares.append((20 * Int(seq), 20, 5))
            _ = stroke(seq: UInt64(seq), squares: squares)
            if case .encode(let encode)? = scheduler.nextJob(lane: .encode, now: now) {
                _ = scheduler.finishEncode(try encode.run(engine: engine), now: now)
            }
        }
        XCTAssertNil(scheduler.nextJob(lane: .any, now: now), "a second synthesis must not start while one runs")
        var frames = scheduler.finishSynthesis(running, frame: try running.run(engine: engine)).compactMap(\.frame)
        frames += try drain().compactMap(\.frame)
        XCTAssertEqual(frames.map(\.seq), [1, 6], "one follow-up run, reflecting the last stroke")
        XCTAssertEqual(frames.map(\.number), [2, 3])
    }

    func testStrokesWhileEncodingCoalesceIntoOneEncodeOfTheNewestCanvas() throws {
        try openBlank()
        _ = stroke(seq: 1, squares: [(150, 200, 10)])
        guard case .encode(let running)? = scheduler.nextJob(lane: .encode, now: now) else { return XCTFail("no encode") }
        _ = stroke(seq: 2, squares: [(150, 200, 10), (300, 200, 5)])
        _ = stroke(seq: 3, squares: [(150, 200, 10), (300, 200, 5), (20, 20, 5)])
        XCTAssertNil(scheduler.nextJob(lane: .encode, now: now), "one encode per session at a time")
        _ = scheduler.finishEncode(try running.run(engine: engine), now: now)
        guard case .encode(let next)? = scheduler.nextJob(lane: .encode, now: now) else { return XCTFail("no follow-up") }
        XCTAssertEqual(next.canvas.seq, 3)
        let shadows = scheduler.finishEncode(try next.run(engine: engine), now: now).compactMap(\.shadow)
        XCTAssertEqual(shadows.map(\.component), [1, 4])
        XCTAssertEqual(shadows.map(\.seq), [3, 3])
    }

    func testStrokeInProgressUpdatesShadowsAtMostEveryThrottleInterval() throws {
        try openBlank()
        now = 1
        _ = stroke(seq: 1, squares: [(150, 200, 4)], inProgress: true)
        XCTAssertEqual(try drain().compactMap(\.shadow).count, 1)
        now += 0.03
        _ = stroke(seq: 1, squares: [(150, 200, 6)], inProgress: true)
        now += 0.03
        _ = stroke(seq: 1, squares: [(150, 200, 8)], inProgress: true)
        XCTAssertTrue(try drain().isEmpty, "held back inside the throttle interval")
        XCTAssertEqual(try XCTUnwrap(scheduler.nextWake), 1.1, accuracy: 1e-9)
        now = 1.1
        let shadows = try drain().compactMap(\.shadow)
        XCTAssertEqual(shadows.count, 1)
        XCTAssertEqual(shadows.first?.png, Array("shadow 0 \(64 * 255)".utf8), "the newest canvas is encoded")
        XCTAssertEqual(engine.syntheses.count, 1, "no face while the stroke is drawn")
    }

    func testStrokeEndIsNotThrottled() throws {
        try openBlank()
        now = 1
        _ = stroke(seq: 1, squares: [(150, 200, 4)], inProgress: true)
        try drain()
        now += 0.01
        _ = stroke(seq: 1, squares: [(150, 200, 6)], inProgress: false)
        let deliveries = try drain()
        XCTAssertEqual(deliveries.compactMap(\.shadow).count, 1)
        XCTAssertEqual(deliveries.compactMap(\.frame).count, 1)
    }

    func testSliderChangeMakesANewFrameWithoutReencoding() throws {
        try openBlank()
        _ = stroke(seq: 1, squares: [(150, 200, 10)])
        try drain()
        let encodes = engine.encodes.count
        let deliveries = scheduler.slidersChanged(session: "a", sliders: sliders(["left_eye": 0.2, "master": 0.5]))
        XCTAssertTrue(deliveries.contains { $0.message == .busy(true) })
        let frames = try drain().compactMap(\.frame)
        XCTAssertEqual(frames.count, 1)
        XCTAssertEqual(frames[0].seq, 1)
        XCTAssertEqual(engine.encodes.count, encodes, "sliders reuse cached latents")
        XCTAssertEqual(try XCTUnwrap(engine.syntheses.last), [0.1, 0.25, 0.25, 0.25, 0.25])
    }

    func testAnAppearanceChangeMakesANewFaceFromCachedLatents() throws {
        try openBlank()
        _ = stroke(seq: 1, squares: [(150, 200, 10)])
        try drain()
        let encodes = engine.encodes.count
        XCTAssertEqual(engine.appearances.last, .some(nil), "nobody picked one: the model's default")
        _ = scheduler.appearanceChanged(session: "a", appearance: 2, seq: 2)
        let frames = try drain().compactMap(\.frame)
        XCTAssertEqual(frames.map(\.seq), [2], "the frame reflects the appearance operation")
        XCTAssertEqual(engine.encodes.count, encodes, "no re-encoding")
        XCTAssertEqual(engine.appearances.last, 2)
        XCTAssertTrue(scheduler.appearanceChanged(session: "a", appearance: 2, seq: 3).isEmpty)
        XCTAssertTrue(try drain().isEmpty, "the same appearance again makes no frame")
        // A session opened with an appearance synthesises with it from the first face.
        _ = scheduler.open(session: "b", canvas: .blank(), sliders: SliderValues(), mode: .live, appearance: 0, now: now)
        try drain()
        XCTAssertEqual(engine.appearances.last, 0)
    }

    func testTheStatusMessageAnnouncesTheComponentsAndThePalette() throws {
        scheduler = GuidanceScheduler(layout: testLayout, palette: testPalette, throttle: 0.1)
        try openBlank()
        guard case .text(let text)? = scheduler.joinMessages(session: "a").first?.wire else { return XCTFail("no status") }
        let status = try JSONSerialization.jsonObject(with: Data(text.utf8)) as! [String: Any]
        XCTAssertEqual((status["components"] as? [[String: Any]])?.map { $0["name"] as! String }, testLayout.components.map(\.name))
        let appearance = try XCTUnwrap(status["appearance"] as? [String: Any])
        XCTAssertEqual(appearance["regions"] as? [String], ["skin", "hair"])
        XCTAssertEqual(appearance["default"] as? Int, 1)
        XCTAssertEqual((appearance["palette"] as? [[Double]])?.map { $0.map(Float.init) }, testPalette.codes)
    }

    func testSameSlidersAgainMakeNoFrame() throws {
        try openBlank()
        _ = stroke(seq: 1, squares: [(150, 200, 10)])
        try drain()
        XCTAssertTrue(scheduler.slidersChanged(session: "a", sliders: SliderValues()).isEmpty)
        XCTAssertTrue(try drain().isEmpty)
    }

    func testOnDemandModeMakesFacesOnlyOnConvert() throws {
        try openBlank(mode: .onDemand)
        XCTAssertEqual(engine.syntheses.count, 1, "a session starts with the default face")
        _ = stroke(seq: 1, squares: [(150, 200, 10)])
        _ = stroke(seq: 2, squares: [(150, 200, 10), (300, 200, 10)])
        let afterStrokes = try drain()
        XCTAssertEqual(afterStrokes.compactMap(\.shadow).count, 2, "shadows stay live")
        XCTAssertTrue(afterStrokes.compactMap(\.frame).isEmpty)
        _ = scheduler.convert(session: "a")
        let frames = try drain().compactMap(\.frame)
        XCTAssertEqual(frames.map(\.seq), [2])
        XCTAssertFalse(frames[0].isDefault)
    }

    func testSwitchingToLiveCatchesTheFaceUp() throws {
        try openBlank(mode: .onDemand)
        _ = stroke(seq: 1, squares: [(150, 200, 10)])
        try drain()
        let deliveries = scheduler.modeChanged(session: "a", mode: .live)
        XCTAssertTrue(deliveries.contains { if case .status(true, nil, .live, _, _) = $0.message { return true } else { return false } })
        XCTAssertEqual(try drain().compactMap(\.frame).map(\.seq), [1])
    }

    func testEmptyCanvasGivesTheDefaultFaceAgainAfterClear() throws {
        try openBlank()
        _ = stroke(seq: 1, squares: [(150, 200, 10)])
        try drain()
        _ = scheduler.canvasChanged(session: "a", canvas: .blank(seq: 2), dirty: nil, strokeInProgress: false, now: now)
        let frames = try drain().compactMap(\.frame)
        XCTAssertEqual(frames.count, 1)
        XCTAssertTrue(frames[0].isDefault)
        XCTAssertEqual(frames[0].seq, 2)
    }

    func testTwoBusySessionsTakeTurns() throws {
        try openBlank("a")
        try openBlank("b")
        var order = [String]()
        // Both sessions always want a new face: every stroke end lands before the worker frees up.
        var seq: UInt64 = 0
        for round in 0..<6 {
            seq += 1
            _ = stroke("a", seq: seq, squares: [(20 + round, 20, 3)])
            _ = stroke("b", seq: seq, squares: [(20 + round, 20, 3)])
            while case .encode(let encode)? = scheduler.nextJob(lane: .encode, now: now) {
                _ = scheduler.finishEncode(try encode.run(engine: engine), now: now)
            }
            guard case .synthesize(let job)? = scheduler.nextJob(lane: .any, now: now) else { return XCTFail("no synthesis") }
            order.append(job.session)
            _ = scheduler.finishSynthesis(job, frame: try job.run(engine: engine))
        }
        XCTAssertEqual(order, ["a", "b", "a", "b", "a", "b"])
    }

    func testFacesKeepComingWhenEditsArriveFasterThanTheyEncode() throws {
        try openBlank()
        var frames = [FaceFrame]()
        var squares = [(Int, Int, Int)]()
        // Every encode finishes with the next stroke already waiting: the encode lane never goes idle.
        _ = stroke(seq: 1, squares: [(20, 20, 3)])
        for seq in 2...12 {
            guard case .encode(let encode)? = scheduler.nextJob(lane: .encode, now: now) else { return XCTFail("no encode") }
            squares.append((20 + 4 * seq, 20, 3))
            _ = stroke(seq: UInt64(seq), squares: squares)
            frames += scheduler.finishEncode(try encode.run(engine: engine), now: now).compactMap(\.frame)
            if case .synthesize(let job)? = scheduler.nextJob(lane: .synthesisFirst, now: now) {
                frames += scheduler.finishSynthesis(job, frame: try job.run(engine: engine)).compactMap(\.frame)
            }
        }
        XCTAssertGreaterThanOrEqual(frames.count, 10, "one face per finished encode: \(frames.map(\.seq))")
        XCTAssertEqual(frames.map(\.seq), frames.map(\.seq).sorted())
        frames += try drain().compactMap(\.frame)
        XCTAssertEqual(frames.last?.seq, 12)
    }

    func testStrokeEndWaitsForItsEncodeInsteadOfShowingTheHalfDrawnStroke() throws {
        try openBlank()
        now = 1
        _ = stroke(seq: 1, squares: [(150, 200, 4)], inProgress: true)
        guard case .encode(let interim)? = scheduler.nextJob(lane: .encode, now: now) else { return XCTFail("no encode") }
        _ = scheduler.finishEncode(try interim.run(engine: engine), now: now)
        _ = stroke(seq: 1, squares: [(150, 200, 9)])
        // A synthesis-first worker finds no face ready (that would show the half-drawn stroke): it encodes.
        guard case .encode(let final)? = scheduler.nextJob(lane: .synthesisFirst, now: now) else { return XCTFail("face ran early") }
        var frames = scheduler.finishEncode(try final.run(engine: engine), now: now).compactMap(\.frame)
        frames += try drain().compactMap(\.frame)
        XCTAssertEqual(frames.count, 1)
        XCTAssertEqual(engine.syntheses.count, 2)
    }

    func testBeyondCapacityTheLeastRecentlyActiveSessionIsForgottenAndRebuiltOnUse() throws {
        scheduler = GuidanceScheduler(layout: testLayout, throttle: 0.1, capacity: 2)
        try openBlank("a")
        try openBlank("b")
        _ = stroke("a", seq: 1, squares: [(150, 200, 10)])
        try drain()
        let lastOfA = try XCTUnwrap(scheduler.joinMessages(session: "a").compactMap { if case .frame(let f) = $0 { return f } else { return nil } }.last)
        try openBlank("c")   // b is the least recently active
        XCTAssertEqual(scheduler.sessionCount, 2)
        XCTAssertFalse(scheduler.isOpen("b"))
        XCTAssertTrue(scheduler.isOpen("a"))
        // b comes back: rebuilt from its canvas, and its frame numbers keep increasing.
        _ = scheduler.open(session: "b", canvas: canvas(seq: 7, inkSquares: [(300, 200, 5)]), sliders: SliderValues(), mode: .live, now: now)
        XCTAssertFalse(scheduler.isOpen("a") && scheduler.isOpen("c"), "one of a, c made room")
        let frames = try drain().filter { $0.session == "b" }.compactMap(\.frame)
        XCTAssertEqual(frames.map(\.seq), [7])
        XCTAssertGreaterThan(frames[0].number, lastOfA.number)
    }

    func testOverloadedSessionsStillShareFacesEvenly() throws {
        try openBlank("a")
        try openBlank("b")
        // Every tick both sessions end a stroke; the encode worker finishes one job per tick and the synthesis
        // worker one face per two ticks, so encode work is never idle for either session.
        var frames = ["a": 0, "b": 0]
        var running: SynthesisJob?
        for tick in 1...40 {
            for session in ["a", "b"] {
                _ = stroke(session, seq: UInt64(tick), squares: [(10 + tick * 3, 20 + (session == "a" ? 0 : 40), 3)])
            }
            if case .encode(let encode)? = scheduler.nextJob(lane: .encode, now: now) {
                _ = scheduler.finishEncode(try encode.run(engine: engine), now: now)
            }
            if tick % 2 == 0 {
                if let job = running {
                    frames[job.session, default: 0] += scheduler.finishSynthesis(job, frame: try job.run(engine: engine)).compactMap(\.frame).count
                    running = nil
                }
                if case .synthesize(let job)? = scheduler.nextJob(lane: .synthesisFirst, now: now) { running = job }
            }
        }
        XCTAssertGreaterThanOrEqual(frames["a"]!, 8, "\(frames)")
        XCTAssertLessThanOrEqual(abs(frames["a"]! - frames["b"]!), 1, "\(frames)")
    }

    func testEvictionSparesASessionWaitingForItsFace() throws {
        scheduler = GuidanceScheduler(layout: testLayout, throttle: 0.1, capacity: 2)
        try openBlank("a")
        try openBlank("b")
        _ = stroke("a", seq: 1, squares: [(150, 200, 10)])   // a waits for its face…
        _ = scheduler.modeChanged(session: "b", mode: .onDemand)   // …b is more recent but has nothing pending
        _ = scheduler.open(session: "c", canvas: .blank(), sliders: SliderValues(), mode: .live, now: now)
        XCTAssertTrue(scheduler.isOpen("a"), "a still waits for its face")
        XCTAssertFalse(scheduler.isOpen("b"))
        XCTAssertEqual(try drain().filter { $0.session == "a" }.compactMap(\.frame).map(\.seq), [1])
    }

    /// Issue 10, finding 7: more sessions drawing than `capacity`, workers far behind. Each op opens its session
    /// first, as `SessionGuidance` does. No session with work pending is forgotten, so every session's last
    /// face reflects its last stroke once the workers catch up.
    func testMoreSessionsThanCapacityAllGetAFaceOfTheirLastStroke() throws {
        scheduler = GuidanceScheduler(layout: testLayout, throttle: 0.1, capacity: 3)
        let names = (0..<8).map { "s\($0)" }
        var lastFrame = [String: UInt64]()
        func record(_ deliveries: [GuidanceScheduler.Delivery]) {
            for delivery in deliveries { if let frame = delivery.frame { lastFrame[delivery.session] = frame.seq } }
        }
        let rounds = 6
        for round in 1...rounds {
            for (index, name) in names.enumerated() {
                let squares = (1...round).map { (20 + 40 * index, 20 + 60 * $0, 8) }
                let snapshot = canvas(seq: UInt64(round), inkSquares: squares)
                record(scheduler.open(session: name, canvas: snapshot, sliders: SliderValues(), mode: .live, now: now))
                record(scheduler.canvasChanged(session: name, canvas: snapshot, dirty: nil, strokeInProgress: false, now: now))
                XCTAssertLessThanOrEqual(scheduler.sessionCount, 3)
                // Overloaded: one job per op while each op needs several.
                if let job = scheduler.nextJob(lane: .any, now: now) { record(try finish(job)) }
            }
            now += 0.05
        }
        XCTAssertGreaterThan(scheduler.waitingCount, 0, "the load must exceed capacity for this test to mean anything")
        while let job = scheduler.nextJob(lane: .any, now: now) {
            record(try finish(job))
            XCTAssertLessThanOrEqual(scheduler.sessionCount, 3)
        }
        XCTAssertEqual(scheduler.waitingCount, 0)
        for name in names { XCTAssertEqual(lastFrame[name], UInt64(rounds), "last face of \(name)") }
    }

    func testASessionWaitingForAPlaceCoalescesItsEditsAndIsToldItIsBusy() throws {
        scheduler = GuidanceScheduler(layout: testLayout, throttle: 0.1, capacity: 1)
        try openBlank("a")
        _ = stroke("a", seq: 1, squares: [(150, 200, 10)])   // a has work pending: it keeps its place
        let opened = scheduler.open(session: "b", canvas: .blank(), sliders: SliderValues(), mode: .live, now: now)
        XCTAssertEqual(opened.map(\.message), [.busy(true)])
        XCTAssertEqual(scheduler.waitingCount, 1)
        for seq in 1...3 { _ = stroke("b", seq: UInt64(seq), squares: (1...seq).map { (300, 20 * $0, 5) }) }
        let encodesBefore = engine.encodes.count
        let deliveries = try drain()
        XCTAssertEqual(deliveries.filter { $0.session == "a" }.compactMap(\.frame).map(\.seq), [1])
        XCTAssertEqual(deliveries.filter { $0.session == "b" }.compactMap(\.frame).map(\.seq), [3])
        XCTAssertEqual(deliveries.filter { $0.session == "b" }.compactMap(\.shadow).map(\.seq), [3, 3, 3, 3, 3],
                       "b encoded once, from its newest canvas")
        XCTAssertEqual(engine.encodes.count - encodesBefore, 1 + 5)
        XCTAssertFalse(scheduler.isOpen("a"), "a fell idle and made room")
        XCTAssertEqual(deliveries.last?.message, .busy(false))
    }

    func testEncodeLaneNeverTakesSynthesis() throws {
        _ = scheduler.open(session: "a", canvas: .blank(), sliders: SliderValues(), mode: .live, now: now)
        try drain(lane: .encode)
        XCTAssertEqual(engine.syntheses.count, 0)
        XCTAssertTrue(scheduler.hasReadyWork(lane: .any))
        XCTAssertFalse(scheduler.hasReadyWork(lane: .encode))
    }

    func testJoiningParticipantGetsStatusCurrentShadowsAndLastFace() throws {
        try openBlank()
        _ = stroke(seq: 1, squares: [(150, 200, 10)])
        try drain()
        let messages = scheduler.joinMessages(session: "a")
        guard case .status(true, nil, .live, testLayout?, nil) = messages.first else { return XCTFail("status first: \(messages)") }
        let shadows = messages.compactMap { if case .shadow(let s) = $0 { return s } else { return nil } }
        XCTAssertEqual(shadows.map(\.component), [0, 1, 2, 3, 4])
        XCTAssertEqual(shadows.map(\.seq), [1, 0, 0, 0, 0])
        let frames = messages.compactMap { if case .frame(let f) = $0 { return f } else { return nil } }
        XCTAssertEqual(frames.map(\.seq), [1])
        XCTAssertEqual(messages.last, .busy(false))
    }

    func testClosedSessionDropsLateResults() throws {
        _ = scheduler.open(session: "a", canvas: .blank(), sliders: SliderValues(), mode: .live, now: now)
        guard case .encode(let job)? = scheduler.nextJob(lane: .any, now: now) else { return XCTFail("no encode") }
        scheduler.close(session: "a")
        _ = scheduler.open(session: "a", canvas: .blank(seq: 5), sliders: SliderValues(), mode: .live, now: now)
        XCTAssertTrue(scheduler.finishEncode(try job.run(engine: engine), now: now).isEmpty)
    }

    func testFailedEncodeRetriesWithTheNextEditAgainstTheOldBaseline() throws {
        try openBlank()
        engine.failEncodes = true
        _ = stroke(seq: 1, squares: [(150, 200, 10)])
        guard case .encode(let failing)? = scheduler.nextJob(lane: .any, now: now) else { return XCTFail("no encode") }
        XCTAssertThrowsError(try failing.run(engine: engine))
        _ = scheduler.failEncode(failing, now: now)
        engine.failEncodes = false
        // The next edit only touches the remainder, but the eye change is still unencoded.
        _ = scheduler.canvasChanged(session: "a", canvas: canvas(seq: 2, inkSquares: [(150, 200, 10), (20, 20, 5)]),
                                    dirty: PixelRect(x: 20, y: 20, width: 5, height: 5), strokeInProgress: false, now: now)
        let shadows = try drain().compactMap(\.shadow)
        XCTAssertEqual(shadows.map(\.component), [0, 4])
    }

    func testBusyFlagRisesOnStrokeEndAndFallsWithTheFrame() throws {
        try openBlank()
        let rising = stroke(seq: 1, squares: [(150, 200, 10)])
        XCTAssertEqual(rising.map(\.message), [.busy(true)])
        let rest = try drain()
        XCTAssertEqual(rest.last?.message, .busy(false))
        XCTAssertEqual(rest.compactMap(\.frame).count, 1)
    }
}
