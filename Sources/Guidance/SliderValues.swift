/// The refinement sliders of a session: one weight per component and a master, all in `[0, 1]`.
///
/// A weight `s` blends a component's drawn latent `z` with its projection `p` onto the manifold of real
/// sketches: `z' = s·p + (1−s)·z` (docs/MODEL_FORMAT.md, step 4). The master scales every component, so the
/// weight the model uses is `component × master`: the master at 0 shows the raw sketch's reading everywhere,
/// at 1 the per-part choices apply unchanged. Values are shared session state, owned and persisted by
/// Sessions; guidance only reads them.
public struct SliderValues: Sendable, Equatable {
    /// Per-component weights by component name; a component missing here uses ``defaultWeight``.
    public var components: [String: Double]
    /// Master weight.
    public var master: Double

    /// The weight of a component nobody has moved yet: mostly refined, a little of the drawing shows.
    public static let defaultWeight = 0.8

    public init(components: [String: Double] = [:], master: Double = 1.0) {
        self.components = components.mapValues(SliderValues.clamp)
        self.master = SliderValues.clamp(master)
    }

    /// Weights with every component fully projected: what the empty canvas is synthesised with (the default face).
    public static func fullyProjected(for layout: ComponentLayout) -> [Double] {
        Array(repeating: 1, count: layout.count)
    }

    /// The weight the model uses for `component`: `component × master`, clamped to `[0, 1]`.
    public func effective(_ component: String) -> Double {
        SliderValues.clamp((components[component] ?? SliderValues.defaultWeight) * master)
    }

    /// Effective weights in layout order.
    public func effective(for layout: ComponentLayout) -> [Double] {
        layout.components.map { effective($0.name) }
    }

    /// `NaN` and out-of-range values collapse into `[0, 1]` (NaN to the default), never reach the model.
    static func clamp(_ value: Double) -> Double {
        if value.isNaN { return defaultWeight }
        return min(1, max(0, value))
    }
}

/// When a session synthesises faces.
public enum GuidanceMode: String, Sendable, Equatable, CaseIterable {
    /// After every stroke (the default).
    case live
    /// Only when a participant presses "Convert"; shadows stay live.
    case onDemand = "on_demand"
}
