import XCTest
import Sessions
@testable import Guidance

/// Candidate faces in the scheduler, driven by hand: what a request is answered with, what is refused, and how
/// the work shares the workers.
extension GuidanceSchedulerTests {
    /// A scheduler with the three-code test palette and session "a" drawn on (one stroke, face shown).
    private func drawnWithPalette() throws {
        scheduler = GuidanceScheduler(layout: testLayout, palette: testPalette, throttle: 0.1)
        try openBlank()
        _ = stroke(seq: 1, squares: [(150, 200, 10)])
        try drain()
    }

    private func refusal(_ body: () throws -> Any) -> ProtocolError? {
        do {
            _ = try body()
            return nil
        } catch {
            return error as? ProtocolError
        }
    }

    func testCandidatesGoToTheRequesterOnlyOneFacePerIndexFromCachedLatents() throws {
        try drawnWithPalette()
        let encodes = engine.encodes.count, syntheses = engine.syntheses.count
        let requests = try scheduler.requestCandidates(session: "a", by: participant(1), indices: [2, 0], ref: 9)
        XCTAssertTrue(requests.isEmpty, "accepting tells nobody anything")
        let deliveries = try drain()
        XCTAssertEqual(deliveries.map(\.recipient), [participant(1), participant(1)])
        let faces = deliveries.compactMap(\.candidate)
        XCTAssertEqual(faces.map(\.appearance), [2, 0], "in the order asked")
        XCTAssertEqual(faces.map(\.count), [2, 2])
        XCTAssertEqual(faces.map(\.ref), [9, 9])
        XCTAssertEqual(faces.map(\.seq), [1, 1], "the newest operation the latents reflect")
        XCTAssertFalse(faces[0].isDefault)
        XCTAssertEqual(engine.candidates, [[2, 0]], "one engine call: mapped and fused once")
        XCTAssertEqual(engine.encodes.count, encodes, "no re-encoding")
        XCTAssertEqual(engine.syntheses.count, syntheses, "the session's face is not touched")
    }

    func testCandidatesWithoutIndicesAreTheFirstFourCodesOfThePalette() throws {
        try drawnWithPalette()
        _ = try scheduler.requestCandidates(session: "a", by: participant(1), indices: nil, ref: nil)
        let faces = try drain().compactMap(\.candidate)
        XCTAssertEqual(faces.map(\.appearance), [0, 1, 2], "the whole three-code palette")
        XCTAssertEqual(faces.map(\.ref), [0, 0, 0], "no ref: 0")
        let six = AppearancePalette(regions: ["skin"], codes: (0..<6).map { [Float($0) / 6, 0, 0] }, defaultIndex: 0)
        XCTAssertEqual(try ClientMessage.candidateIndices(nil, paletteSize: six.codes.count), [0, 1, 2, 3])
    }

    func testAnIndexPastThePaletteARepeatOrAnEmptyListIsRefusedByField() throws {
        try drawnWithPalette()
        func refused(_ indices: [Int]) -> ProtocolError? {
            refusal { try scheduler.requestCandidates(session: "a", by: participant(1), indices: indices, ref: 1) }
        }
        XCTAssertEqual(refused([0, 3]), .invalidField("indices[1]", "must be below the palette size 3"))
        XCTAssertEqual(refused([1, 2, 1]), .invalidField("indices[2]", "repeats index 1"))
        XCTAssertEqual(refused([]), .invalidField("indices", "must hold 1–4 palette indices"))
        XCTAssertEqual(refused([0, 3])?.outcome.code, "invalid")
        XCTAssertTrue(try drain().isEmpty, "a refused request makes no work")
        XCTAssertTrue(engine.candidates.isEmpty)
    }

    func testMoreThanFourCandidatesAreRefusedAsALimit() throws {
        try drawnWithPalette()
        let error = refusal { try scheduler.requestCandidates(session: "a", by: participant(1), indices: [0, 1, 2, 0, 1], ref: nil) }
        XCTAssertEqual(error, .tooManyCandidates(4))
        XCTAssertEqual(error?.outcome.code, "limit")
        XCTAssertEqual(error?.outcome.field, "indices")
        XCTAssertEqual(error?.outcome.message, "indices: at most 4 candidates per request")
    }

    func testAConnectionHasOneCandidatesRequestOutstandingAtATime() throws {
        try drawnWithPalette()
        _ = try scheduler.requestCandidates(session: "a", by: participant(1), indices: [0], ref: 1)
        XCTAssertEqual(refusal { try scheduler.requestCandidates(session: "a", by: participant(1), indices: [1], ref: 2) },
                       .candidatesPending, "still waiting")
        _ = try scheduler.requestCandidates(session: "a", by: participant(2), indices: [1], ref: 1)
        guard case .candidates(let running)? = scheduler.nextJob(lane: .any, now: now) else { return XCTFail("no candidates job") }
        XCTAssertEqual(running.participant, participant(1))
        XCTAssertEqual(refusal { try scheduler.requestCandidates(session: "a", by: participant(1), indices: [1], ref: 2) },
                       .candidatesPending, "still running")
        let answered = try finish(.candidates(running)) + drain()
        XCTAssertEqual(answered.compactMap(\.candidate).map { [$0.ref, $0.appearance] }, [[1, 0], [1, 1]])
        XCTAssertEqual(answered.compactMap(\.recipient), [participant(1), participant(2)])
        XCTAssertNoThrow(try scheduler.requestCandidates(session: "a", by: participant(1), indices: [1], ref: 2), "answered: it may ask again")
        XCTAssertEqual(ProtocolError.candidatesPending.outcome.code, "limit")
    }

    func testWithoutAPaletteOrAModelCandidatesAreUnavailable() throws {
        try openBlank()
        XCTAssertEqual(refusal { try scheduler.requestCandidates(session: "a", by: participant(1), indices: [0], ref: nil) },
                       .candidatesUnavailable("the model has no appearance palette"))
        let off = LiveGuidance(engine: nil, unavailableReason: "no face model loaded (models/default missing)", audience: RecordingAudience())
        defer { off.shutdown() }
        XCTAssertThrowsError(try off.requestCandidates(session: "a", by: participant(1), indices: [0], ref: 3)) { error in
            XCTAssertEqual(error as? ProtocolError, .candidatesUnavailable("no face model loaded (models/default missing)"))
            XCTAssertEqual((error as? ProtocolError)?.outcome.code, "unavailable")
        }
    }

    func testAFailedCandidatesJobTellsTheRequesterAndFreesItsTurn() throws {
        try drawnWithPalette()
        _ = try scheduler.requestCandidates(session: "a", by: participant(1), indices: [0, 1], ref: 4)
        guard case .candidates(let job)? = scheduler.nextJob(lane: .any, now: now) else { return XCTFail("no candidates job") }
        let deliveries = scheduler.finishCandidates(job, faces: nil)
        XCTAssertEqual(deliveries, [GuidanceScheduler.Delivery(
            session: "a", message: .refusal(.candidatesUnavailable("the model failed on this sketch"), ref: 4), recipient: participant(1))])
        XCTAssertNoThrow(try scheduler.requestCandidates(session: "a", by: participant(1), indices: [0], ref: 5))
    }

    func testCandidatesAskedWhileTheSketchIsEncodingWaitForItAndNotForLaterStrokes() throws {
        try drawnWithPalette()
        _ = stroke(seq: 2, squares: [(150, 200, 10), (300, 200, 10)])
        guard case .encode(let encoding)? = scheduler.nextJob(lane: .encode, now: now) else { return XCTFail("no encode") }
        _ = try scheduler.requestCandidates(session: "a", by: participant(1), indices: [0, 2], ref: 7)
        XCTAssertNil(scheduler.nextJob(lane: .synthesisFirst, now: now)?.session, "the latents lack stroke 2, which the asker saw")
        // A stroke after the request does not hold it back.
        _ = stroke(seq: 3, squares: [(150, 200, 10), (300, 200, 10), (240, 330, 20)])
        _ = scheduler.finishEncode(try encoding.run(engine: engine), now: now)
        guard case .candidates(let job)? = scheduler.nextJob(lane: .synthesisFirst, now: now) else { return XCTFail("no candidates") }
        XCTAssertEqual(job.sketch.seq, 2)
        XCTAssertEqual(job.seq, 2, "stroke 3 is still encoding")
        let faces = try finish(.candidates(job)).compactMap(\.candidate)
        let ink = 100 * 255 * 2
        XCTAssertEqual(faces.map(\.png), [0, 2].map { Array("candidate \(ink) appearance \($0)".utf8) }, "both strokes' ink")
    }

    func testCandidatesAfterAFailedEncodeComeFromTheLatentsTheFaceUses() throws {
        try drawnWithPalette()
        engine.failEncodes = true
        _ = stroke(seq: 2, squares: [(150, 200, 10), (300, 200, 10)])
        guard case .encode(let failing)? = scheduler.nextJob(lane: .encode, now: now) else { return XCTFail("no encode") }
        XCTAssertThrowsError(try failing.run(engine: engine))
        _ = scheduler.failEncode(failing, now: now)
        _ = try scheduler.requestCandidates(session: "a", by: participant(1), indices: [1], ref: 8)
        let faces = try drain().compactMap(\.candidate)
        XCTAssertEqual(faces.map(\.seq), [1], "nothing left to encode: answered, from the last encoded canvas")
        XCTAssertEqual(faces.first?.png, Array("candidate \(100 * 255) appearance 1".utf8))
    }

    func testCandidatesWaitForTheSessionsRunningFaceAndThenAlternateWithFaces() throws {
        try drawnWithPalette()
        _ = stroke(seq: 2, squares: [(150, 200, 10), (300, 200, 10)])
        while case .encode(let encode)? = scheduler.nextJob(lane: .encode, now: now) {
            _ = scheduler.finishEncode(try encode.run(engine: engine), now: now)
        }
        guard case .synthesize(let face)? = scheduler.nextJob(lane: .any, now: now) else { return XCTFail("no face") }
        _ = try scheduler.requestCandidates(session: "a", by: participant(1), indices: [0], ref: nil)
        XCTAssertNil(scheduler.nextJob(lane: .synthesisFirst, now: now), "one generator job per session at a time")
        _ = stroke(seq: 3, squares: [(150, 200, 10), (300, 200, 10), (240, 330, 20)])
        while case .encode(let encode)? = scheduler.nextJob(lane: .encode, now: now) {
            _ = scheduler.finishEncode(try encode.run(engine: engine), now: now)
        }
        _ = scheduler.finishSynthesis(face, frame: try face.run(engine: engine))
        // A face (seq 3) and the candidates are both due: the candidates go first after a face, then the face.
        var kinds = [String]()
        while let job = scheduler.nextJob(lane: .synthesisFirst, now: now) {
            if case .candidates = job { kinds.append("candidates") } else if case .synthesize = job { kinds.append("face") }
            _ = try finish(job)
        }
        XCTAssertEqual(kinds, ["candidates", "face"])
    }

    func testASessionAskingForCandidatesTakesTurnsWithAnotherSessionsFaces() throws {
        try drawnWithPalette()
        try openBlank("b")
        var order = [String]()
        for round in 0..<3 {
            for connection in UInt64(1)...2 {
                _ = try? scheduler.requestCandidates(session: "a", by: participant(connection), indices: [0, 1, 2], ref: round)
            }
            _ = stroke("b", seq: UInt64(round + 1), squares: [(20 + round, 20, 3)])
            while case .encode(let encode)? = scheduler.nextJob(lane: .encode, now: now) {
                _ = scheduler.finishEncode(try encode.run(engine: engine), now: now)
            }
            for _ in 0..<2 {
                guard let job = scheduler.nextJob(lane: .synthesisFirst, now: now) else { break }
                order.append(job.session)
                _ = try finish(job)
            }
        }
        XCTAssertEqual(order, ["a", "b", "a", "b", "a", "b"], "a's queue of candidates never delays b's face by more than one job")
    }
}
