/// A sketch component as guidance sees it: its name and its box on the 512×512 canvas.
///
/// The box follows docs/MODEL_FORMAT.md: `[x, y, side]` with the top-left corner on the canvas. What the model
/// actually reads is the box snapped to its resolution (`x_r = floor(x / f)` …); ``ComponentLayout/window(of:)``
/// gives that snapped window back in canvas pixels, which is what change detection must compare.
public struct ComponentBox: Sendable, Equatable {
    /// Component name from the manifest (`left_eye`, …, `remainder`).
    public var name: String
    /// Left edge on the 512 canvas.
    public var x: Int
    /// Top edge on the 512 canvas.
    public var y: Int
    /// Side length on the 512 canvas.
    public var side: Int

    public init(name: String, x: Int, y: Int, side: Int) {
        self.name = name
        self.x = x
        self.y = y
        self.side = side
    }
}

/// An axis-aligned rectangle in canvas pixels, half-open: `[x, x + width) × [y, y + height)`.
public struct PixelRect: Sendable, Equatable {
    /// Left edge (first column inside).
    public var x: Int
    /// Top edge (first row inside).
    public var y: Int
    /// Columns covered; 0 or less is empty.
    public var width: Int
    /// Rows covered; 0 or less is empty.
    public var height: Int

    public init(x: Int, y: Int, width: Int, height: Int) {
        self.x = x
        self.y = y
        self.width = width
        self.height = height
    }

    /// True when the rectangle covers no pixel.
    public var isEmpty: Bool { width <= 0 || height <= 0 }

    /// The smallest rectangle holding both (an empty side is ignored).
    public func union(_ other: PixelRect) -> PixelRect {
        if isEmpty { return other }
        if other.isEmpty { return self }
        let left = min(x, other.x), top = min(y, other.y)
        let right = max(x + width, other.x + other.width), bottom = max(y + height, other.y + other.height)
        return PixelRect(x: left, y: top, width: right - left, height: bottom - top)
    }

    /// The overlap of both, possibly empty.
    public func intersection(_ other: PixelRect) -> PixelRect {
        let left = max(x, other.x), top = max(y, other.y)
        let right = min(x + width, other.x + other.width), bottom = min(y + height, other.y + other.height)
        return PixelRect(x: left, y: top, width: max(0, right - left), height: max(0, bottom - top))
    }

    /// Whether the pixel `(px, py)` lies inside.
    public func contains(_ px: Int, _ py: Int) -> Bool {
        px >= x && px < x + width && py >= y && py < y + height
    }
}

/// The component geometry of a model: canvas size, model resolution and the boxes in manifest order. It is
/// read from the loaded model's manifest (``FaceModelEngine/layout``); nothing else holds a copy.
///
/// A component whose box covers the whole canvas is the `remainder`: its crop is the whole canvas with the part
/// windows blanked, so a pixel belongs to the remainder only when it lies in no part window.
public struct ComponentLayout: Sendable, Equatable {
    /// Canvas side in pixels (512).
    public var canvas: Int
    /// Model resolution `R`; `canvas / R` must be an integer.
    public var resolution: Int
    /// Components in manifest order; their index is the component id on the wire.
    public var components: [ComponentBox]

    public init(canvas: Int, resolution: Int, components: [ComponentBox]) {
        self.canvas = canvas
        self.resolution = resolution
        self.components = components
    }

    /// Downsampling factor `f = canvas / R`.
    public var factor: Int { max(1, canvas / max(1, resolution)) }

    /// Number of components.
    public var count: Int { components.count }

    /// Index of the component named `name`, if any.
    public func index(of name: String) -> Int? { components.firstIndex { $0.name == name } }

    /// Whether component `index` is the remainder (its crop is the whole canvas minus the part windows).
    public func isRemainder(_ index: Int) -> Bool {
        let box = components[index]
        return box.x == 0 && box.y == 0 && box.side >= canvas
    }

    /// The canvas pixels the model reads for component `index`: its box snapped to the model's pixel grid,
    /// `[f·floor(x/f), f·floor(x/f) + f·(side/f))` on each axis, clipped to the canvas.
    public func window(of index: Int) -> PixelRect {
        let f = factor
        let box = components[index]
        let side = (box.side / f) * f
        let whole = PixelRect(x: 0, y: 0, width: canvas, height: canvas)
        return PixelRect(x: (box.x / f) * f, y: (box.y / f) * f, width: side, height: side).intersection(whole)
    }

    /// Indices of the part components (every component that is not the remainder).
    public var partIndices: [Int] { components.indices.filter { !isRemainder($0) } }
}
