/// Errors of taking an appearance code from a photo (`--appearance from:PHOTO`).
public enum PhotoAppearanceError: Error, Equatable, CustomStringConvertible {
    case notSquare(file: String, width: Int, height: Int)
    case tooSmall(file: String, side: Int, grid: Int)
    case noRegionMap

    public var description: String {
        switch self {
        case let .notSquare(file, w, h):
            return "\(file): the photo is \(w)×\(h); it must be square (an aligned face photo, FFHQ/CelebA-HQ framing)"
        case let .tooSmall(file, side, grid):
            return "\(file): the photo is \(side)×\(side); this model's region map needs at least \(grid)×\(grid)"
        case .noRegionMap:
            return "this model has no region map; re-export it to take an appearance from a photo"
        }
    }
}

/// Where each appearance region reliably is in an aligned face photo (docs/MODEL_FORMAT.md, "Region map"):
/// a `grid`×`grid` map over the photo whose cells name a region or none. A photo's code is, per region, the
/// mean colour of the pixels whose centre lies in that region's cells.
public struct RegionMap: Equatable, Sendable {
    /// Cells per side.
    public let grid: Int
    /// Row-major, `grid · grid`: the region index of each cell, or −1 for none.
    public let cells: [Int]
    /// The code of a region with no cells (the training set's mean colour), `3 · regions` floats.
    public let fallback: [Float]

    public init(grid: Int, cells: [Int], fallback: [Float]) {
        precondition(cells.count == grid * grid && fallback.count % 3 == 0)
        self.grid = grid; self.cells = cells; self.fallback = fallback
    }

    /// The appearance code of an aligned, square photo of any side ≥ `grid`: per region, integer sums of the
    /// pixels of its cells, then `Float(Double(sum) / Double(n) / 127.5 − 1)`; the fallback for a region with
    /// no cells. A pixel belongs to the cell holding its centre: `(2·i + 1) · grid / (2 · side)` per axis.
    public func code(_ photo: RGBImage, file: String = "<memory>") throws -> [Float] {
        guard photo.width == photo.height else { throw PhotoAppearanceError.notSquare(file: file, width: photo.width, height: photo.height) }
        let side = photo.width
        guard side >= grid else { throw PhotoAppearanceError.tooSmall(file: file, side: side, grid: grid) }
        let regions = fallback.count / 3
        let cellOf = (0..<side).map { (2 * $0 + 1) * grid / (2 * side) }
        var sums = [Int](repeating: 0, count: 3 * regions), counts = [Int](repeating: 0, count: regions)
        photo.pixels.withUnsafeBufferPointer { px in
            for y in 0..<side {
                let row = cellOf[y] * grid
                for x in 0..<side {
                    let r = cells[row + cellOf[x]]
                    guard r >= 0 else { continue }
                    let p = 3 * (y * side + x)
                    counts[r] += 1
                    sums[3 * r] += Int(px[p]); sums[3 * r + 1] += Int(px[p + 1]); sums[3 * r + 2] += Int(px[p + 2])
                }
            }
        }
        return (0..<(3 * regions)).map { i in
            let n = counts[i / 3]
            return n == 0 ? fallback[i] : Float(Double(sums[i]) / Double(n) / 127.5 - 1)
        }
    }
}

extension Appearance {
    /// The code of a photo by the model's region map.
    public func code(photo: RGBImage, file: String = "<memory>") throws -> [Float] {
        guard let regionMap else { throw PhotoAppearanceError.noRegionMap }
        return try regionMap.code(photo, file: file)
    }
}

extension Manifest {
    /// `$.appearance.region_map`: `grid` (1…512), `grid` rows of `grid` characters each `.` or a region index
    /// digit (so at most 10 regions), and a `fallback` code of `size` numbers in [−1, 1].
    static func parseRegionMap(_ m: JSONFields, regions: Int, size: Int) throws -> RegionMap {
        let grid = try m.positiveInt("grid")
        guard grid <= 512 else { throw ManifestError.invalid(path: "\(m.path).grid", reason: "\(grid) is above 512") }
        guard regions <= 10 else { throw ManifestError.invalid(path: m.path, reason: "a region map indexes at most 10 regions, not \(regions)") }
        let rows = try m.array("rows")
        guard rows.count == grid else { throw ManifestError.invalid(path: "\(m.path).rows", reason: "expected \(grid) rows, got \(rows.count)") }
        var cells: [Int] = []
        cells.reserveCapacity(grid * grid)
        for (y, value) in rows.enumerated() {
            let path = "\(m.path).rows[\(y)]"
            guard let row = value as? String, row.unicodeScalars.count == grid else {
                throw ManifestError.invalid(path: path, reason: "expected a string of \(grid) cells")
            }
            for ch in row.unicodeScalars {
                if ch == "." { cells.append(-1); continue }
                guard let digit = Int(String(ch)), ch.isASCII, digit < regions else {
                    throw ManifestError.invalid(path: path, reason: "'\(ch)' is neither '.' nor a region index 0–\(regions - 1)")
                }
                cells.append(digit)
            }
        }
        let values = try m.array("fallback")
        guard values.count == size else { throw ManifestError.invalid(path: "\(m.path).fallback", reason: "expected \(size) numbers, got \(values.count)") }
        let fallback = try values.enumerated().map { i, v -> Float in
            guard let x = jsonDouble(v), x.isFinite, (-1...1).contains(x) else {
                throw ManifestError.invalid(path: "\(m.path).fallback[\(i)]", reason: "expected a number in [-1, 1]")
            }
            return Float(x)
        }
        return RegionMap(grid: grid, cells: cells, fallback: fallback)
    }
}
