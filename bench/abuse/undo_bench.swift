// Undo/redo cost against history length (docs/SESSIONS.md, "Under abuse"): one author draws N ordinary strokes
// (3 points, width 6), another draws one stroke first; the first author's undo + redo of its newest stroke, and a
// replay of the whole log as a restore does; a first access from the stored text, by replaying the whole log or
// from a raster checkpoint and the ops after it. Prints medians of 7 runs (3 for replays and loads).
import Foundation
import Raster
import Sessions

@main
enum UndoBench {
    static func main() {
        for strokes in [100, 1_000, 10_000, 50_000] {
            var document = SketchDocument()
            var log = [Sessions.Operation]()
            func apply(_ body: Sessions.Operation.Body) {
                let op = Sessions.Operation(seq: document.head + 1, author: "a", ref: nil, body: body)
                log.append(op)
                document.apply(op)
            }
            for i in 0..<strokes {
                let begin = document.head + 1
                apply(.strokeBegin(tool: i % 9 == 0 ? .eraser : .pen, width: 96))
                let x = 200 + (i * 977) % 7600, y = 200 + (i * 613) % 7600
                apply(.strokePoints(stroke: begin, points: [StrokePoint(x: x, y: y, pressure: 200),
                                                            StrokePoint(x: x + 150, y: y + 90, pressure: 120),
                                                            StrokePoint(x: x + 240, y: y - 40, pressure: 255)]))
                apply(.strokeEnd(stroke: begin))
            }
            let target = try! document.undoTarget(for: "a")
            let undo = medianMilliseconds {
                document.apply(Sessions.Operation(seq: document.head + 1, author: "a", ref: nil, body: .undo(target: target)))
                document.apply(Sessions.Operation(seq: document.head + 1, author: "a", ref: nil, body: .redo(target: target)))
            }
            let replay = medianMilliseconds(3) {
                var restored = SketchDocument()
                for op in log { restored.apply(op, painting: false) }
                restored.repaint()
            }
            // A first access as the hub does it, from the stored text: the whole log, or the newest checkpoint
            // (saved every 2 000 ops: here 1 999 ops before the head, the worst case) and the ops after it.
            let text = document.encodedOps
            let load = medianMilliseconds(3) {
                var restored = SketchDocument()
                for line in text { restored.apply(try! Sessions.Operation(encoded: line), painting: false) }
                restored.repaint()
            }
            var atCheckpoint = SketchDocument()
            for line in text.prefix(max(0, text.count - 1_999)) { atCheckpoint.apply(try! Sessions.Operation(encoded: line)) }
            var checkpoint = [UInt8]()
            let save = medianMilliseconds { checkpoint = atCheckpoint.checkpoint() }
            let resume = medianMilliseconds(3) {
                var restored = try! SketchDocument(checkpoint: checkpoint, log: text, undoReach: SketchDocument.defaultUndoReach)
                for line in text[restored.head...] { restored.apply(try! Sessions.Operation(encoded: line), painting: false) }
                restored.repaint()
            }
            print(String(format: "%6d strokes (%6d ops, horizon %6d): undo + redo median %.3f ms; replay of the log %.1f ms; "
                         + "load from text: whole log %.1f ms, checkpoint (%d bytes, written in %.1f ms) + %d ops %.1f ms",
                         strokes, document.head, document.horizon, undo, replay, load, checkpoint.count, save,
                         text.count - atCheckpoint.head, resume))
        }
    }
}
