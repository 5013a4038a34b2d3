/// Which components an edit of the canvas touched, so only those are re-encoded and get new shadows.
///
/// Comparison is exact at canvas level: a component changed when a pixel inside the window the model reads for
/// it (``ComponentLayout/window(of:)``) differs. The remainder reads the whole canvas with the part windows
/// blanked, so it changed only when a differing pixel lies outside every part window. The dirty rectangle, when
/// known, bounds the comparison (strokes touch a small area); without one the whole canvas is compared, which is
/// still well under a millisecond. Undo, clear and erasing need no special case: they are just pixel changes.
public enum ChangeDetection {
    /// Indices (ascending) of the components whose model input differs between `before` and `after`.
    ///
    /// - Parameters:
    ///   - dirty: an area known to hold every changed pixel, or `nil` for "anywhere".
    public static func changedComponents(
        layout: ComponentLayout, before: CanvasSnapshot, after: CanvasSnapshot, dirty: PixelRect? = nil
    ) -> [Int] {
        precondition(before.side == after.side, "canvases differ in size")
        let side = after.side
        let whole = PixelRect(x: 0, y: 0, width: side, height: side)
        let area = (dirty ?? whole).intersection(whole)
        if area.isEmpty { return [] }

        let windows = layout.components.indices.map { layout.window(of: $0) }
        let remainders = layout.components.indices.filter { layout.isRemainder($0) }
        let parts = layout.partIndices
        var changed = [Bool](repeating: false, count: layout.count)
        var found = 0

        before.pixels.withUnsafeBufferPointer { old in
            after.pixels.withUnsafeBufferPointer { new in
                rows: for y in area.y..<(area.y + area.height) {
                    let row = y * side
                    // Most rows of a stroke's bounding box are identical: skip them with one compare.
                    if rowsEqual(old, new, from: row + area.x, count: area.width) { continue }
                    for x in area.x..<(area.x + area.width) where old[row + x] != new[row + x] {
                        var inPart = false
                        for c in parts where windows[c].contains(x, y) {
                            inPart = true
                            if !changed[c] { changed[c] = true; found += 1 }
                        }
                        if !inPart {
                            for c in remainders where !changed[c] { changed[c] = true; found += 1 }
                        }
                        if found == layout.count { break rows }
                    }
                }
            }
        }
        return changed.indices.filter { changed[$0] }
    }

    private static func rowsEqual(
        _ a: UnsafeBufferPointer<UInt8>, _ b: UnsafeBufferPointer<UInt8>, from start: Int, count: Int
    ) -> Bool {
        var i = start
        let end = start + count
        // Compare eight bytes at a time where possible; unaligned loads are fine on the targets we run on.
        while i + 8 <= end {
            let wa = UnsafeRawPointer(a.baseAddress! + i).loadUnaligned(as: UInt64.self)
            let wb = UnsafeRawPointer(b.baseAddress! + i).loadUnaligned(as: UInt64.self)
            if wa != wb { return false }
            i += 8
        }
        while i < end {
            if a[i] != b[i] { return false }
            i += 1
        }
        return true
    }
}
