/// The per-component refinement sliders (0...1), shared session state persisted like any operation.
/// What they mean to the model is defined by Guidance; Sessions only validates, stores and broadcasts them.
public struct SliderValues: Equatable, Sendable {
    /// Slider names in wire order: the five components of docs/MODEL_FORMAT.md, then the master slider.
    public static let names = ["left_eye", "right_eye", "nose", "mouth", "remainder", "master"]

    /// Values by name; always holds all six names.
    public private(set) var values: [String: Double]

    /// Defaults: every component at 0.5, master at 1.
    public init() {
        var values = [String: Double]()
        for name in SliderValues.names { values[name] = name == "master" ? 1 : 0.5 }
        self.values = values
    }

    /// The value of one slider (0 for an unknown name).
    public subscript(name: String) -> Double { values[name] ?? 0 }

    /// Returns a copy with the given (already validated) values replaced.
    public func merging(_ changes: [String: Double]) -> SliderValues {
        var copy = self
        for (name, value) in changes where copy.values[name] != nil { copy.values[name] = value }
        return copy
    }
}

/// How the face is synthesised in a session (reserved for Guidance): after every stroke, or on "convert".
public enum GuidanceMode: String, Sendable, Equatable {
    case live
    case onDemand = "on_demand"
}
