import Foundation
import Sessions
@testable import Guidance

/// A face engine that counts its calls. Latents are the ink sum of the component window, so they change exactly
/// when the component's pixels do; "PNGs" are small byte strings naming what they were made from.
final class CountingEngine: FaceEngine, @unchecked Sendable {
    let layout: ComponentLayout
    let palette: AppearancePalette?
    private let lock = NSLock()
    private var _encodes: [Int] = []
    private var _syntheses: [[Double]] = []
    private var _appearances: [Int?] = []
    private var _candidates: [[Int]] = []
    /// Seconds each synthesis takes (simulated work).
    var synthesisDelay: Double
    var encodeDelay: Double
    var failEncodes = false
    /// Extra seconds for encoding particular components.
    var slowComponents: [Int: Double] = [:]

    init(layout: ComponentLayout = testLayout, palette: AppearancePalette? = nil, synthesisDelay: Double = 0, encodeDelay: Double = 0) {
        self.layout = layout
        self.palette = palette
        self.synthesisDelay = synthesisDelay
        self.encodeDelay = encodeDelay
    }

    /// Components encoded, in call order.
    var encodes: [Int] { lock.withLock { _encodes } }
    /// Weights of each synthesis, in call order.
    var syntheses: [[Double]] { lock.withLock { _syntheses } }
    /// Appearance index of each synthesis, in call order.
    var appearances: [Int?] { lock.withLock { _appearances } }
    /// Palette indices of each candidates call, in call order.
    var candidates: [[Int]] { lock.withLock { _candidates } }

    func encode(component: Int, canvas: CanvasSnapshot) throws -> Latent {
        if failEncodes { throw FakeError.encodeFailed }
        lock.withLock { _encodes.append(component) }
        if encodeDelay > 0 { Thread.sleep(forTimeInterval: encodeDelay) }
        if let extra = slowComponents[component] { Thread.sleep(forTimeInterval: extra) }
        let window = layout.window(of: component)
        var ink = 0
        for y in window.y..<(window.y + window.height) {
            for x in window.x..<(window.x + window.width) { ink += 255 - Int(canvas.pixels[y * canvas.side + x]) }
        }
        return [Float(ink), Float(component)]
    }

    func shadowPNG(component: Int, latent: Latent) throws -> [UInt8] {
        Array("shadow \(component) \(Int(latent[0]))".utf8)
    }

    func synthesizePNG(latents: [Latent], weights: [Double], sketch: CanvasSnapshot, appearance: Int?) throws -> [UInt8] {
        lock.withLock { _syntheses.append(weights); _appearances.append(appearance) }
        if synthesisDelay > 0 { Thread.sleep(forTimeInterval: synthesisDelay) }
        let ink = latents.map { Int($0[0]) }.reduce(0, +)
        return Array("face \(ink) \(weights.map { String(format: "%.2f", $0) }.joined(separator: ","))".utf8)
    }

    func candidatePNGs(latents: [Latent], weights: [Double], sketch: CanvasSnapshot, appearances: [Int]) throws -> [[UInt8]] {
        lock.withLock { _candidates.append(appearances) }
        if synthesisDelay > 0 { Thread.sleep(forTimeInterval: synthesisDelay) }
        let ink = latents.map { Int($0[0]) }.reduce(0, +)
        return appearances.map { Array("candidate \(ink) appearance \($0)".utf8) }
    }
}

enum FakeError: Error { case encodeFailed }

/// Records every broadcast, per session, in arrival order.
final class RecordingAudience: GuidanceAudience, @unchecked Sendable {
    private let condition = NSCondition()
    private var messages: [(session: String, message: WireMessage)] = []
    private var sent: [(participant: ParticipantRef, message: WireMessage)] = []

    func broadcast(_ message: WireMessage, session: String) {
        condition.lock()
        messages.append((session, message))
        condition.broadcast()
        condition.unlock()
    }

    func send(_ message: WireMessage, to participant: ParticipantRef) {
        condition.lock()
        sent.append((participant, message))
        condition.broadcast()
        condition.unlock()
    }

    /// What was sent to `participant` alone, in arrival order.
    func sent(to participant: ParticipantRef) -> [WireMessage] {
        condition.lock()
        defer { condition.unlock() }
        return sent.filter { $0.participant == participant }.map(\.message)
    }

    func decoded(_ session: String) -> [GuidanceMessage] {
        condition.lock()
        defer { condition.unlock() }
        return messages.filter { $0.session == session }.compactMap {
            if case .binary(let bytes) = $0.message { return GuidanceMessage.decode(binary: bytes) }
            return nil
        }
    }

    func texts(_ session: String) -> [String] {
        condition.lock()
        defer { condition.unlock() }
        return messages.filter { $0.session == session }.compactMap {
            if case .text(let text) = $0.message { return text }
            return nil
        }
    }

    func frames(_ session: String) -> [FaceFrame] {
        decoded(session).compactMap { if case .frame(let frame) = $0 { return frame } else { return nil } }
    }

    func shadows(_ session: String) -> [ShadowUpdate] {
        decoded(session).compactMap { if case .shadow(let shadow) = $0 { return shadow } else { return nil } }
    }

    /// Waits until `predicate` holds (checked on every message) or `timeout` passes; returns whether it held.
    @discardableResult
    func wait(timeout: Double = 5, until predicate: () -> Bool) -> Bool {
        let deadline = Date(timeIntervalSinceNow: timeout)
        while !predicate() {
            condition.lock()
            let more = condition.wait(until: min(deadline, Date(timeIntervalSinceNow: 0.02)))
            condition.unlock()
            if !more && Date() >= deadline { return predicate() }
        }
        return true
    }
}

/// A canvas with filled ink squares, one per `(x, y, size)`.
func canvas(seq: UInt64, inkSquares: [(Int, Int, Int)]) -> CanvasSnapshot {
    var pixels = [UInt8](repeating: 255, count: 512 * 512)
    for (x0, y0, size) in inkSquares {
        for y in y0..<(y0 + size) { for x in x0..<(x0 + size) { pixels[y * 512 + x] = 0 } }
    }
    return CanvasSnapshot(seq: seq, pixels: pixels)
}

extension GuidanceScheduler.Delivery {
    var shadow: ShadowUpdate? { if case .shadow(let shadow) = message { return shadow } else { return nil } }
    var frame: FaceFrame? { if case .frame(let frame) = message { return frame } else { return nil } }
    var candidate: CandidateFace? { if case .candidate(let face) = message { return face } else { return nil } }
}

/// A participant on connection `connection` (the scheduler keys sessions by its own names; only the connection
/// tells participants apart here).
func participant(_ connection: UInt64) -> ParticipantRef {
    ParticipantRef(session: SessionID(String(repeating: "A", count: 22))!, connection: connection, client: "client-\(connection)")
}

/// Session slider values with the given changes over the defaults (components 0.5, master 1).
func sliders(_ changes: [String: Double]) -> SliderValues { SliderValues().merging(changes) }

/// The shipped model's component geometry, written out for tests (the server reads it from the manifest).
let testLayout = ComponentLayout(canvas: 512, resolution: 256, components: [
    ComponentBox(name: "left_eye", x: 108, y: 156, side: 128),
    ComponentBox(name: "right_eye", x: 255, y: 156, side: 128),
    ComponentBox(name: "nose", x: 182, y: 232, side: 160),
    ComponentBox(name: "mouth", x: 169, y: 301, side: 192),
    ComponentBox(name: "remainder", x: 0, y: 0, side: 512),
])

/// A three-code palette over two regions (test data; a real one comes from the manifest).
let testPalette = AppearancePalette(regions: ["skin", "hair"], codes: [[0.5, 0.25, 0, -0.5, -0.25, 0.125], [1, 1, 1, -1, -1, -1], [0, 0, 0, 0, 0, 0]], defaultIndex: 1)
