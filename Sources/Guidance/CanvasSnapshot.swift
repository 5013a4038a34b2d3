/// One immutable state of a session's sketch canvas, as guidance reads it.
///
/// `pixels` is the server-side raster (`side × side`, u8 grey, 255 = paper, 0 = ink, row-major). `seq` is the
/// sequence number of the last operation the canvas reflects; every shadow and frame computed from this
/// snapshot is tagged with it. Arrays are copy-on-write, so taking a snapshot of a raster costs one copy at
/// most, made when the session next draws.
public struct CanvasSnapshot: Sendable {
    /// Sequence number of the last operation reflected (0 for a fresh session).
    public var seq: UInt64
    /// Side length in pixels (512).
    public var side: Int
    /// `side × side` grey pixels.
    public var pixels: [UInt8]

    public init(seq: UInt64, side: Int = 512, pixels: [UInt8]) {
        precondition(pixels.count == side * side, "canvas must hold side × side pixels")
        self.seq = seq
        self.side = side
        self.pixels = pixels
    }

    /// A blank (all-white) canvas.
    public static func blank(seq: UInt64 = 0, side: Int = 512) -> CanvasSnapshot {
        CanvasSnapshot(seq: seq, side: side, pixels: [UInt8](repeating: 255, count: side * side))
    }

    /// True when no pixel carries ink: the empty sketch, which gets the default face.
    public var isBlank: Bool {
        pixels.withUnsafeBufferPointer { buffer in
            let base = UnsafeRawPointer(buffer.baseAddress!)
            var i = 0
            // Eight pixels at a time: a word of paper (255) bytes is all ones.
            while i + 8 <= buffer.count {
                if base.loadUnaligned(fromByteOffset: i, as: UInt64.self) != UInt64.max { return false }
                i += 8
            }
            while i < buffer.count {
                if buffer[i] != 255 { return false }
                i += 1
            }
            return true
        }
    }
}
