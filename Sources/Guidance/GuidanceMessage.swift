import Foundation
import Sessions

/// The shadow of one component for the canvas state `seq`.
public struct ShadowUpdate: Sendable, Equatable {
    /// Component index (manifest order).
    public var component: Int
    /// The component's box on the 512 canvas (where the client draws the image, scaled).
    public var box: ComponentBox
    /// Sequence number of the last operation the shadow reflects.
    public var seq: UInt64
    /// Grey+alpha PNG at the component's crop resolution.
    public var png: [UInt8]

    public init(component: Int, box: ComponentBox, seq: UInt64, png: [UInt8]) {
        self.component = component
        self.box = box
        self.seq = seq
        self.png = png
    }
}

/// A synthesised face.
public struct FaceFrame: Sendable, Equatable {
    /// The face reflects every operation up to this one (non-decreasing per session; see
    /// ``SessionState/reflectedSeq``).
    public var seq: UInt64
    /// Frame number within the session, strictly increasing (a slider move gives a new frame at the same `seq`).
    public var number: UInt32
    /// True when the canvas was empty and this is the default face.
    public var isDefault: Bool
    /// RGB PNG at the model resolution.
    public var png: [UInt8]

    public init(seq: UInt64, number: UInt32, isDefault: Bool, png: [UInt8]) {
        self.seq = seq
        self.number = number
        self.isDefault = isDefault
        self.png = png
    }
}

/// One candidate face: the session's face under one appearance code, for the participant who asked.
public struct CandidateFace: Sendable, Equatable {
    /// The palette index the face was made with.
    public var appearance: Int
    /// How many faces answer the request (they arrive in the order asked).
    public var count: Int
    /// The request's `ref` (0 when it had none).
    public var ref: Int
    /// The face reflects every operation up to this one (as a ``FaceFrame``'s `seq`).
    public var seq: UInt64
    /// True when the canvas was empty (default faces).
    public var isDefault: Bool
    /// RGB PNG at the model resolution.
    public var png: [UInt8]

    public init(appearance: Int, count: Int, ref: Int, seq: UInt64, isDefault: Bool, png: [UInt8]) {
        self.appearance = appearance
        self.count = count
        self.ref = ref
        self.seq = seq
        self.isDefault = isDefault
        self.png = png
    }
}

/// What a message to a participant looks like on the WebSocket: a text or a binary message.
public enum WireMessage: Sendable, Equatable {
    case text(String)
    case binary([UInt8])
}

/// A message guidance sends to session participants (layouts in docs/PROTOCOL.md, section "Guidance").
public enum GuidanceMessage: Sendable, Equatable {
    /// Binary: a component's new shadow.
    case shadow(ShadowUpdate)
    /// Binary: a new face.
    case frame(FaceFrame)
    /// Text: whether guidance runs, why not, the session's mode, the component boxes and the appearance palette.
    case status(enabled: Bool, reason: String?, mode: GuidanceMode, layout: ComponentLayout?, palette: AppearancePalette? = nil)
    /// Text: a newer face is being computed (`true`) or the face shown is current (`false`).
    case busy(Bool)
    /// Binary, to one participant: a candidate face it asked for.
    case candidate(CandidateFace)
    /// Text, to one participant: a request guidance accepted could not be served after all (`error` message).
    case refusal(ProtocolError, ref: Int?)

    /// First byte of a binary shadow message.
    public static let shadowKind: UInt8 = 0x01
    /// First byte of a binary frame message.
    public static let frameKind: UInt8 = 0x02
    /// First byte of a binary candidate face message.
    public static let candidateKind: UInt8 = 0x03
    /// Bytes before the PNG in every binary message.
    public static let headerSize = 16

    /// The message as it goes on the wire.
    public var wire: WireMessage {
        switch self {
        case .shadow(let shadow):
            var bytes = [UInt8]()
            bytes.reserveCapacity(Self.headerSize + shadow.png.count)
            bytes.append(Self.shadowKind)
            bytes.append(UInt8(truncatingIfNeeded: shadow.component))
            appendBigEndian(UInt16(clamping: shadow.box.x), to: &bytes)
            appendBigEndian(UInt16(clamping: shadow.box.y), to: &bytes)
            appendBigEndian(UInt16(clamping: shadow.box.side), to: &bytes)
            appendBigEndian(shadow.seq, to: &bytes)
            bytes += shadow.png
            return .binary(bytes)
        case .frame(let frame):
            var bytes = [UInt8]()
            bytes.reserveCapacity(Self.headerSize + frame.png.count)
            bytes.append(Self.frameKind)
            bytes.append(frame.isDefault ? 1 : 0)
            appendBigEndian(UInt16(0), to: &bytes)
            appendBigEndian(frame.number, to: &bytes)
            appendBigEndian(frame.seq, to: &bytes)
            bytes += frame.png
            return .binary(bytes)
        case .status(let enabled, let reason, let mode, let layout, let palette):
            var object: [String: Any] = ["type": "guidance", "enabled": enabled, "mode": mode.rawValue]
            if let reason { object["reason"] = reason }
            if let layout {
                object["resolution"] = layout.resolution
                object["components"] = layout.components.map { ["name": $0.name, "box": [$0.x, $0.y, $0.side]] }
            }
            if let palette {
                object["appearance"] = ["regions": palette.regions, "palette": palette.codes.map { $0.map(Double.init) },
                                        "default": palette.defaultIndex] as [String: Any]
            }
            return .text(Self.json(object))
        case .busy(let busy):
            return .text(Self.json(["type": "guidance.busy", "busy": busy]))
        case .candidate(let face):
            var bytes = [UInt8]()
            bytes.reserveCapacity(Self.headerSize + face.png.count)
            bytes.append(Self.candidateKind)
            bytes.append(face.isDefault ? 1 : 0)
            bytes.append(UInt8(clamping: face.appearance))
            bytes.append(UInt8(clamping: face.count))
            appendBigEndian(UInt32(clamping: face.ref), to: &bytes)
            appendBigEndian(face.seq, to: &bytes)
            bytes += face.png
            return .binary(bytes)
        case .refusal(let error, let ref):
            return .text(error.errorMessage(ref: ref))
        }
    }

    /// Decodes a binary guidance message (the inverse of ``wire``; used by tests and the benchmark client).
    /// Returns `nil` for anything that is not a well-formed shadow, frame or candidate message.
    public static func decode(binary bytes: [UInt8]) -> GuidanceMessage? {
        guard bytes.count >= headerSize else { return nil }
        func u16(_ at: Int) -> Int { Int(bytes[at]) << 8 | Int(bytes[at + 1]) }
        func u32(_ at: Int) -> UInt32 { (0..<4).reduce(0) { $0 << 8 | UInt32(bytes[at + $1]) } }
        func u64(_ at: Int) -> UInt64 { (0..<8).reduce(0) { $0 << 8 | UInt64(bytes[at + $1]) } }
        let png = Array(bytes[headerSize...])
        switch bytes[0] {
        case shadowKind:
            // The box name is not on the wire: the status message lists names by index.
            let box = ComponentBox(name: "", x: u16(2), y: u16(4), side: u16(6))
            return .shadow(ShadowUpdate(component: Int(bytes[1]), box: box, seq: u64(8), png: png))
        case frameKind:
            return .frame(FaceFrame(seq: u64(8), number: u32(4), isDefault: bytes[1] & 1 == 1, png: png))
        case candidateKind:
            return .candidate(CandidateFace(appearance: Int(bytes[2]), count: Int(bytes[3]), ref: Int(u32(4)), seq: u64(8),
                                            isDefault: bytes[1] & 1 == 1, png: png))
        default:
            return nil
        }
    }

    private static func json(_ object: [String: Any]) -> String {
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data("{}".utf8)
        return String(decoding: data, as: UTF8.self)
    }
}

private func appendBigEndian<T: FixedWidthInteger>(_ value: T, to bytes: inout [UInt8]) {
    withUnsafeBytes(of: value.bigEndian) { bytes.append(contentsOf: $0) }
}
