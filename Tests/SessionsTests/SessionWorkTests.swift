import XCTest
import Raster
@testable import Sessions

/// Bounded work per message and per second, and undo whose cost does not grow with history (issue 10, findings
/// 1 and 2).
final class SessionWorkTests: XCTestCase {
    /// 512 points alternating between opposite corners at width 64: the message that froze the server.
    private static let cornerToCorner: String = {
        let points = (0..<512).map { $0 % 2 == 0 ? #"{"x":0,"y":0}"# : #"{"x":512,"y":512}"# }.joined(separator: ",")
        return "{\"type\":\"stroke.points\",\"id\":1,\"points\":[\(points)],\"ref\":7}"
    }()

    func testWorstCaseStrokeMessageIsRefusedBeforeAnythingIsPainted() {
        let f = Fixture()
        let (a, pa) = f.join("client-aaaa")
        a.receive(text: #"{"type":"stroke.begin","id":1,"tool":"pen","width":64}"#)
        let stored = f.store.count(f.id)
        a.receive(text: Self.cornerToCorner)
        XCTAssertEqual(pa.errors.last?["code"] as? String, "limit")
        XCTAssertEqual(pa.errors.last?["field"] as? String, "points")
        XCTAssertEqual(pa.errors.last?["ref"] as? Int, 7)
        XCTAssertEqual(f.store.count(f.id), stored)
        XCTAssertEqual(f.hub.canvas(of: f.id), Canvas(), "nothing was painted")
        XCTAssertNil(pa.closed)
    }

    func testOverweightMessagesCountAsStrikesAndEndIn1008() {
        var config = SessionsConfig()
        config.rateStrikes = 5
        let f = Fixture(config: config)
        let (a, pa) = f.join("client-aaaa")
        a.receive(text: #"{"type":"stroke.begin","id":1,"tool":"pen","width":64}"#)
        for _ in 0..<5 { a.receive(text: Self.cornerToCorner) }
        XCTAssertEqual(pa.closed?.code, 1008)
    }

    func testWorkRateIsBudgetedPerSecondWithTheSameLadderAsTheMessageRate() {
        var config = SessionsConfig()
        config.workPerSecond = 200_000
        config.workBurst = 400_000
        config.rateStrikes = 3
        let f = Fixture(config: config)
        let (a, pa) = f.join("client-aaaa")
        // Two full-width diagonals each message: valid, under the per-message limit, about 111 000 pixels of work.
        a.receive(text: #"{"type":"stroke.begin","id":1,"tool":"pen","width":64}"#)
        for _ in 0..<20 where pa.closed == nil {
            a.receive(text: #"{"type":"stroke.points","id":1,"points":[{"x":0,"y":0},{"x":512,"y":512}]}"#)
        }
        let accepted = pa.ops.filter { $0["kind"] as? String == "stroke.points" }.count
        XCTAssertEqual(accepted, 4, "the burst of 400 000 holds four such messages")
        XCTAssertEqual(pa.errors.filter { $0["code"] as? String == "rate_limited" }.count, 2, "then the third strike closes")
        XCTAssertEqual(pa.closed?.code, 1008)

        // A calm client refills: one second later the same segment is accepted again.
        let (b, pb) = f.join("client-bbbb")
        b.receive(text: #"{"type":"stroke.begin","id":1,"tool":"pen","width":64}"#)
        for _ in 0..<5 { b.receive(text: #"{"type":"stroke.points","id":1,"points":[{"x":0,"y":0},{"x":512,"y":512}]}"#) }
        XCTAssertEqual(pb.errors.last?["code"] as? String, "rate_limited")
        f.clock.advance(1)
        let before = pb.ops.count
        b.receive(text: #"{"type":"stroke.points","id":1,"points":[{"x":0,"y":0}]}"#)
        XCTAssertEqual(pb.ops.count, before + 1)
        XCTAssertNil(pb.closed)
    }

    // MARK: Undo reach

    private func drawStroke(_ document: inout SketchDocument, author: String, index: Int, tool: Tool = .pen, width: Int = 96) -> Int {
        let begin = document.head + 1
        document.apply(Sessions.Operation(seq: begin, author: author, ref: nil, body: .strokeBegin(tool: tool, width: width)))
        let x = 400 + (index * 977) % 7300, y = 400 + (index * 613) % 7300   // points stay on the canvas
        let points = [StrokePoint(x: x, y: y, pressure: 200), StrokePoint(x: x + 300, y: y + 170, pressure: 90),
                      StrokePoint(x: x + 420, y: y - 60, pressure: 255)]
        document.apply(Sessions.Operation(seq: document.head + 1, author: author, ref: nil, body: .strokePoints(stroke: begin, points: points)))
        document.apply(Sessions.Operation(seq: document.head + 1, author: author, ref: nil, body: .strokeEnd(stroke: begin)))
        return begin
    }

    private func apply(_ document: inout SketchDocument, _ body: Sessions.Operation.Body, by author: String) {
        document.apply(Sessions.Operation(seq: document.head + 1, author: author, ref: nil, body: body))
    }

    func testUndoReRendersAtMostTheUndoWindowHoweverLongTheHistory() {
        var short = SketchDocument(undoReach: 200_000), long = SketchDocument(undoReach: 200_000)
        for i in 0..<20 { _ = drawStroke(&short, author: "a", index: i) }
        for i in 0..<3000 { _ = drawStroke(&long, author: "a", index: i) }
        XCTAssertLessThanOrEqual(long.windowWork, 200_000 + 20_000)
        XCTAssertLessThanOrEqual(long.rerenderWork, short.rerenderWork * 2, "bounded by the reach, not by 3000 strokes")
        XCTAssertGreaterThan(long.horizon, 8000)
    }

    func testDrawingOlderThanTheUndoReachCannotBeUndone() {
        var document = SketchDocument(undoReach: 100_000)
        let first = drawStroke(&document, author: "a", index: 0)
        for i in 1..<200 { _ = drawStroke(&document, author: "b", index: i) }
        XCTAssertGreaterThan(document.horizon, first)
        XCTAssertThrowsError(try document.undoTarget(for: "a")) { XCTAssertEqual($0 as? ProtocolError, .nothingToUndo) }
        XCTAssertNoThrow(try document.undoTarget(for: "b"))
    }

    /// An independent reading of the rendering rule over the whole log (no checkpoint, no window).
    private func operations(_ document: SketchDocument) -> [Sessions.Operation] {
        document.encodedOps.map { try! Sessions.Operation(encoded: $0) }
    }

    private func renderWholeLog(_ document: SketchDocument) -> Canvas {
        var undone = Set<Int>(), clears = [Int]()
        var begins = [Int: (Tool, Int)]()
        for op in operations(document) {
            switch op.body {
            case .undo(let target): undone.insert(target)
            case .redo(let target): undone.remove(target)
            case .clear: clears.append(op.seq)
            case .strokeBegin(let tool, let width): begins[op.seq] = (tool, width)
            default: break
            }
        }
        let start = clears.last { !undone.contains($0) } ?? 0
        var canvas = Canvas()
        var last = [Int: StrokePoint]()
        for op in operations(document) {
            guard case .strokePoints(let stroke, let points) = op.body, let (tool, width) = begins[stroke] else { continue }
            if op.seq > start, !undone.contains(stroke) {
                CapsuleRasterizer.paint(&canvas, points: points, after: last[stroke], width: width, tool: tool)
            }
            last[stroke] = points.last
        }
        return canvas
    }

    func testCheckpointAndWindowPaintExactlyWhatTheWholeLogDoes() {
        var generator = SystemRandomNumberGenerator()
        let seed = UInt64.random(in: 0...UInt64.max, using: &generator)
        var random = Xorshift(seed: seed)
        var document = SketchDocument(undoReach: 60_000)
        let authors = ["a", "b", "c"]
        for i in 0..<600 {
            let author = authors[Int(random.next() % 3)]
            switch random.next() % 10 {
            case 0, 1: if let target = try? document.undoTarget(for: author) { apply(&document, .undo(target: target), by: author) }
            case 2: if let target = try? document.redoTarget(for: author) { apply(&document, .redo(target: target), by: author) }
            case 3 where random.next() % 6 == 0: apply(&document, .clear, by: author)
            default: _ = drawStroke(&document, author: author, index: i, tool: random.next() % 4 == 0 ? .eraser : .pen,
                                    width: 16 + Int(random.next() % 600))
            }
        }
        XCTAssertGreaterThan(document.horizon, 100, "the window moved (seed \(seed))")
        XCTAssertEqual(document.canvas, renderWholeLog(document), "seed \(seed)")

        var replayed = SketchDocument(undoReach: 60_000)
        for op in operations(document) { replayed.apply(op, painting: false) }
        replayed.repaint()
        XCTAssertEqual(replayed.canvas, document.canvas, "a restore that paints each op once equals live (seed \(seed))")
    }

    func testUndoSkipsOwnStrokesAnotherParticipantsClearAlreadyHides() {
        let f = Fixture()
        let (a, pa) = f.join("client-aaaa")
        let (b, _) = f.join("client-bbbb")
        a.draw(id: 1, [(100, 100), (200, 200)])
        b.receive(text: #"{"type":"clear"}"#)
        a.receive(text: #"{"type":"undo","ref":50}"#)
        XCTAssertEqual(pa.errors.last?["code"] as? String, "nothing_to_undo", "the clear already hides it: undo would do nothing visible")
        // The clear's author can undo it, and then the stroke is visible and undoable again.
        b.receive(text: #"{"type":"undo"}"#)
        XCTAssertNotEqual(f.hub.canvas(of: f.id), Canvas())
        a.receive(text: #"{"type":"undo","ref":51}"#)
        XCTAssertEqual(pa.ops.last?["kind"] as? String, "undo")
        XCTAssertEqual(f.hub.canvas(of: f.id), Canvas())
    }
}

/// A small deterministic generator (seeded per run; failures print the seed).
struct Xorshift {
    var state: UInt64
    init(seed: UInt64) { state = seed == 0 ? 0x9E3779B97F4A7C15 : seed }
    mutating func next() -> UInt64 {
        state ^= state << 13; state ^= state >> 7; state ^= state << 17
        return state
    }
}

final class SessionWorkBudgetTests: XCTestCase {
    func testReconnectingUnderFreshIdsBuysNoFreshBurst() {
        var config = SessionsConfig()
        config.sessionWorkPerSecond = 200_000
        config.sessionWorkBurst = 400_000
        let f = Fixture(config: config)
        var accepted = 0
        for n in 0..<10 {
            let (c, peer) = f.join("attacker-\(1000 + n)")
            c.receive(text: #"{"type":"stroke.begin","id":1,"tool":"pen","width":64}"#)
            c.receive(text: #"{"type":"stroke.points","id":1,"points":[{"x":0,"y":0},{"x":512,"y":512}]}"#)
            accepted += peer.ops.filter { $0["kind"] as? String == "stroke.points" && $0["author"] as? String == "attacker-\(1000 + n)" }.count
            c.disconnected()
        }
        XCTAssertEqual(accepted, 6, "the session's burst of 400 000 holds six 60 000-pixel messages, whoever sends them")
    }
}
