import XCTest
import Foundation
import Raster
@testable import Sessions
@testable import SQLiteStore

/// Raster checkpoints (issue 10): a session loads from its newest checkpoint plus the operations after it, and
/// that gives exactly what replaying the whole log gives; a checkpoint that cannot be verified is never used.
final class CheckpointTests: XCTestCase {
    /// A small undo reach so the horizon moves many times in a few hundred operations.
    let reach = 150_000

    /// A seeded random log of two authors: strokes (pen and eraser), clears, undos and redos of visible targets,
    /// sliders, mode and appearance. Every op went through its text, as a stored one does.
    func randomLog(count: Int, seed: UInt64) throws -> [String] {
        var random = SplitMix(seed)
        var document = SketchDocument(undoReach: reach)
        var open: [String: (stroke: Int, left: Int)] = [:]
        func apply(_ author: String, _ body: Sessions.Operation.Body) throws {
            let op = try Sessions.Operation(encoded: Sessions.Operation(seq: document.head + 1, author: author, ref: document.head, body: body).encoded)
            document.apply(op)
        }
        while document.head < count {
            let author = random.next(2) == 0 ? "client-aaaa" : "client-bbbb"
            if let (stroke, left) = open[author] {
                if left == 0 {
                    try apply(author, .strokeEnd(stroke: stroke))
                    open[author] = nil
                } else {
                    let points = (0..<(1 + random.next(3))).map { _ in
                        StrokePoint(x: random.next(StrokePoint.maxCoordinate + 1), y: random.next(StrokePoint.maxCoordinate + 1),
                                    pressure: random.next(256))
                    }
                    try apply(author, .strokePoints(stroke: stroke, points: points))
                    open[author] = (stroke, left - 1)
                }
                continue
            }
            switch random.next(20) {
            case 0..<11:
                open[author] = (document.head + 1, 1 + random.next(3))
                try apply(author, .strokeBegin(tool: random.next(5) == 0 ? .eraser : .pen, width: 8 + random.next(400)))
            case 11..<15:
                if let target = try? document.undoTarget(for: author) { try apply(author, .undo(target: target)) }
            case 15..<18:
                if let target = try? document.redoTarget(for: author) { try apply(author, .redo(target: target)) }
            case 18:
                try apply(author, random.next(4) == 0 ? .clear : .sliders(SliderValues().merging(["nose": Double(random.next(5)) / 4])))
            default:
                try apply(author, random.next(2) == 0 ? .mode(random.next(2) == 0 ? .live : .onDemand) : .appearance(random.next(8)))
            }
        }
        XCTAssertGreaterThan(document.horizon, count / 4, "the log must move the horizon for this test to mean anything")
        return Array(document.encodedOps.prefix(count))
    }

    /// What a load without a checkpoint does.
    func fullReplay(_ log: [String]) throws -> SketchDocument {
        var document = SketchDocument(undoReach: reach)
        for text in log { document.apply(try Sessions.Operation(encoded: text), painting: false) }
        document.repaint()
        return document
    }

    func testCheckpointPlusTailEqualsAFullReplayByteForByteAndUndoesTheSame() throws {
        let log = try randomLog(count: 400, seed: 7)
        let full = try fullReplay(log)
        var live = SketchDocument(undoReach: reach)
        for (index, text) in log.enumerated() {
            live.apply(try Sessions.Operation(encoded: text))
            guard index % 41 == 0 || index == log.count - 1 else { continue }
            // Resume from a checkpoint taken after this op, then replay the rest as a load does.
            var resumed = try SketchDocument(checkpoint: live.checkpoint(), log: log, undoReach: reach)
            XCTAssertEqual(resumed.canvas, live.canvas)
            for text in log[resumed.head...] { resumed.apply(try Sessions.Operation(encoded: text), painting: false) }
            if resumed.head > index + 1 { resumed.repaint() }
            XCTAssertEqual(resumed.canvas.pixels, full.canvas.pixels, "raster after a checkpoint at op \(index + 1)")
            XCTAssertEqual(resumed.checkpoint(), full.checkpoint(), "whole state after a checkpoint at op \(index + 1)")
            XCTAssertEqual(resumed.encodedOps, full.encodedOps)
            XCTAssertEqual(resumed.storedBytes, full.storedBytes)
            // Undo and redo across the checkpoint: both documents pick the same targets and paint the same pixels.
            var reference = full
            for author in ["client-aaaa", "client-bbbb", "client-aaaa"] {
                for undo in [true, false, true] {
                    let target = try? (undo ? reference.undoTarget(for: author) : reference.redoTarget(for: author))
                    XCTAssertEqual(target, try? (undo ? resumed.undoTarget(for: author) : resumed.redoTarget(for: author)))
                    guard let target else { continue }
                    let op = Sessions.Operation(seq: reference.head + 1, author: author, ref: nil, body: undo ? .undo(target: target) : .redo(target: target))
                    reference.apply(op)
                    resumed.apply(op)
                    XCTAssertEqual(resumed.canvas.pixels, reference.canvas.pixels, "after \(undo ? "undo" : "redo") of \(target)")
                }
            }
            XCTAssertEqual(resumed.render(), reference.render())
        }
    }

    func testACheckpointIsSmallForASketch() throws {
        let log = try randomLog(count: 300, seed: 3)
        let bytes = try fullReplay(log).checkpoint()
        XCTAssertLessThan(bytes.count, 2 * Canvas.size * Canvas.size / 3, "run-length coded rasters")
        XCTAssertEqual(try SketchDocument(checkpoint: bytes, log: log, undoReach: reach).canvas, try fullReplay(log).canvas)
    }

    func testADamagedOrForeignCheckpointIsRefused() throws {
        let log = try randomLog(count: 200, seed: 11)
        let good = try fullReplay(log).checkpoint()
        func refusal(_ bytes: [UInt8], log: [String], reach: Int? = nil) -> CheckpointError? {
            do {
                _ = try SketchDocument(checkpoint: bytes, log: log, undoReach: reach ?? self.reach)
                return nil
            } catch {
                return error as? CheckpointError
            }
        }
        for position in [0, 7, good.count / 3, good.count / 2, good.count - 9, good.count - 1] {
            var flipped = good
            flipped[position] ^= 0x10
            XCTAssertNotNil(refusal(flipped, log: log), "a flipped byte at \(position)")
        }
        XCTAssertEqual(refusal(Array(good.prefix(good.count - 20)), log: log), .malformed("checksum"))
        XCTAssertEqual(refusal([], log: log), .malformed("not a version 1 checkpoint"))
        XCTAssertEqual(refusal(good, log: Array(log.prefix(150))), .mismatch("op 200 is beyond the log (150)"))
        var other = log
        other[20] = other[20].replacingOccurrences(of: "client-aaaa", with: "client-cccc")
        other[20] = other[20].replacingOccurrences(of: "client-bbbb", with: "client-dddd")
        XCTAssertEqual(refusal(good, log: other), .mismatch("another log"))
        XCTAssertEqual(refusal(good, log: log, reach: reach * 2), .mismatch("another undo reach"))
    }

    // MARK: the hub

    /// A session one author drew `strokes` two-point strokes in, with a checkpoint every `interval` ops.
    func drawnSession(strokes: Int, checkpointEvery interval: Int) -> (Fixture, SessionConnection, SessionsConfig) {
        var config = SessionsConfig()
        config.checkpointInterval = interval
        let f = Fixture(config: config)
        let (a, _) = f.join("client-aaaa")
        for stroke in 1...strokes { a.draw(id: stroke, [(Double(20 * stroke), 100), (300, Double(40 * stroke))], ref: 3 * stroke) }
        return (f, a, config)
    }

    /// A second hub over the same store, as after a restart, with the problems it reports.
    final class Problems { var lines: [String] = [] }
    func restarted(_ f: Fixture, _ config: SessionsConfig) throws -> (SessionHub, Problems) {
        let hub = SessionHub(config: config, store: f.store, clock: { f.clock.now })
        let problems = Problems()
        hub.onProblem = { problems.lines.append($0) }
        try hub.restore()
        return (hub, problems)
    }

    func testTheHubSavesACheckpointEveryIntervalAndLoadsFromIt() throws {
        let (f, a, config) = drawnSession(strokes: 8, checkpointEvery: 10)
        a.receive(text: #"{"type":"undo"}"#)
        XCTAssertEqual(f.hub.head(of: f.id), 25)
        XCTAssertEqual(try f.store.loadCheckpoint(f.id)?.seq, 20)
        let canvas = f.hub.canvas(of: f.id)
        let reads = f.store.checkpointReads

        let (restored, problems) = try restarted(f, config)
        XCTAssertEqual(restored.canvas(of: f.id), canvas)
        XCTAssertEqual(f.store.checkpointReads, reads + 1)
        XCTAssertEqual(problems.lines, [], "the checkpoint was used")
        // Undo history reaches across the checkpoint: the undone stroke 8 comes back, then stroke 7 goes.
        Fixture.rejoinTokens["\(f.id)/client-aaaa"] = f.jar.tokens["client-aaaa"]
        let (a2, pa2) = Fixture.rejoin(restored, f.id, "client-aaaa")
        a2.receive(text: #"{"type":"redo"}"#)
        a2.receive(text: #"{"type":"undo"}"#)
        a2.receive(text: #"{"type":"undo"}"#)
        XCTAssertEqual(pa2.ops.compactMap { $0["target"] as? Int }, [22, 22, 19])
    }

    func testADamagedCheckpointFallsBackToReplayingTheWholeLog() throws {
        let (f, _, config) = drawnSession(strokes: 4, checkpointEvery: 5)
        let canvas = f.hub.canvas(of: f.id)
        f.store.damageCheckpoint(of: f.id) { $0[$0.count / 2] ^= 0xff }

        let (restored, problems) = try restarted(f, config)
        XCTAssertEqual(restored.canvas(of: f.id), canvas)
        XCTAssertNil(restored.damage(of: f.id), "a bad checkpoint is not a damaged log")
        XCTAssertEqual(problems.lines.count, 1)
        XCTAssertTrue(problems.lines[0].contains("replaying its whole log"), problems.lines[0])
    }

    func testAPastStateForTheReplayStartsFromTheCheckpointWhenItIsNotLater() throws {
        let (f, a, config) = drawnSession(strokes: 8, checkpointEvery: 10)
        a.receive(text: #"{"type":"undo"}"#)
        let log = try XCTUnwrap(f.store.loadSession(f.id)).ops
        let (restored, problems) = try restarted(f, config)
        XCTAssertNotNil(restored.canvas(of: f.id), "loaded first: the reads below are the states' own")
        for seq in [10, 20, 24] {
            let reads = f.store.checkpointReads
            let state = try XCTUnwrap(restored.state(of: f.id, at: seq))
            var reference = SketchDocument()
            for text in log.prefix(seq) { reference.apply(try Sessions.Operation(encoded: text)) }
            XCTAssertEqual(state.seq, seq)
            XCTAssertEqual(state.canvas, reference.canvas, "the state after op \(seq)")
            XCTAssertEqual(f.store.checkpointReads, reads + 1)
        }
        XCTAssertEqual(problems.lines, [], "a checkpoint after the requested op is not a problem, just not used")
    }

    func testEvictionSavesACheckpointOfTheWholeSession() throws {
        var config = SessionsConfig()
        config.evictAfter = 10
        let f = Fixture(config: config)
        do {
            let (a, _) = f.join("client-aaaa")
            a.draw(id: 1, [(10, 10), (500, 500)])
            a.disconnected()
        }
        XCTAssertNil(try f.store.loadCheckpoint(f.id))
        f.clock.advance(11)
        XCTAssertEqual(f.hub.evictIdle(), 1)
        XCTAssertEqual(try f.store.loadCheckpoint(f.id)?.seq, 3)
        XCTAssertLessThan(f.hub.canvas(of: f.id)![255, 255], 100, "loads again from the checkpoint")
    }

    // MARK: SQLite

    func testSQLiteKeepsTheLastCheckpointWrittenAndDeletesItWithItsSession() throws {
        let directory = NSTemporaryDirectory() + "checkpoints-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let store = try SQLiteOperationStore(directory: directory)
        let id = SessionID.random()
        store.sessionCreated(id, at: 1)
        store.saveCheckpoint([1, 2, 3], seq: 10, for: id)
        store.saveCheckpoint([4, 5], seq: 20, for: id)
        store.flush()
        XCTAssertEqual(try store.loadCheckpoint(id), StoredCheckpoint(seq: 20, bytes: [4, 5]))
        // The newest written wins, even with a lower seq: after an operator cut the log back, the session's next
        // checkpoint replaces the one the cut made useless.
        store.saveCheckpoint([6], seq: 15, for: id)
        store.flush()
        XCTAssertEqual(try store.loadCheckpoint(id), StoredCheckpoint(seq: 15, bytes: [6]))
        store.sessionDeleted(id)
        store.flush()
        XCTAssertNil(try store.loadCheckpoint(id))
        store.close()
    }

    func testADatabaseFromBeforeCheckpointsIsMigratedInPlace() throws {
        let directory = NSTemporaryDirectory() + "checkpoints-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let id = SessionID.random()
        do {
            // The schema as the first release wrote it (user_version 0), with one session.
            let old = try SQLiteConnection(path: directory + "/sessions.sqlite")
            try old.execute(SQLiteOperationStore.migrations[0])
            try old.execute("INSERT INTO sessions VALUES('\(id.text)', 1, 1)")
            try old.execute(#"INSERT INTO ops VALUES('\#(id.text)', 1, '{"type":"op","seq":1,"kind":"clear","author":"client-aaaa"}')"#)
        }
        let store = try SQLiteOperationStore(directory: directory)
        XCTAssertEqual(try store.loadSession(id)?.ops.count, 1)
        var version = 0
        try SQLiteConnection(path: store.path).query("PRAGMA user_version") { version = Int($0.double(0)) }
        XCTAssertEqual(version, SQLiteOperationStore.migrations.count)
        store.saveCheckpoint([9], seq: 1, for: id)
        store.flush()
        XCTAssertEqual(try store.loadCheckpoint(id)?.seq, 1)
        store.close()
        XCTAssertNoThrow(try SQLiteOperationStore(directory: directory).close(), "a migrated database opens again")
    }
}

/// A small seeded generator (SplitMix64), so the random logs are the same on every run.
struct SplitMix {
    private var state: UInt64
    init(_ seed: UInt64) { state = seed }
    mutating func next(_ bound: Int) -> Int {
        state &+= 0x9e37_79b9_7f4a_7c15
        var z = state
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return Int((z ^ (z >> 31)) % UInt64(bound))
    }
}
