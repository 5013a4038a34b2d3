/// The refinement sliders (0...1), shared session state persisted like any operation.
///
/// Sessions knows no component names: those are model facts (the manifest's components, which Guidance
/// announces in its status message and sets as ``SessionHub/sliderNames``). A session stores the values
/// participants set; a slider nobody set reads as its default. What the values mean to the model is defined by
/// Guidance.
public struct SliderValues: Equatable, Sendable {
    /// The slider that scales every component.
    public static let master = "master"
    /// Default of a component slider nobody set.
    public static let componentDefault = 0.5
    /// Default of the master slider.
    public static let masterDefault = 1.0
    /// Most distinct slider names one session may hold.
    public static let maxNames = 16

    /// Values participants set, by name.
    public private(set) var values: [String: Double]

    /// No slider set: every component at 0.5, master at 1.
    public init() { values = [:] }

    /// The value of one slider (its default when never set).
    public subscript(name: String) -> Double {
        values[name] ?? (name == SliderValues.master ? SliderValues.masterDefault : SliderValues.componentDefault)
    }

    /// Returns a copy with the given (already validated) values replaced.
    public func merging(_ changes: [String: Double]) -> SliderValues {
        var copy = self
        for (name, value) in changes { copy.values[name] = value }
        return copy
    }

    /// A slider name as the protocol accepts it: 1–32 characters of `a–z 0–9 _` (component names are
    /// snake_case in the manifest).
    public static func isWellFormed(_ name: String) -> Bool {
        let u = name.utf8
        return (1...32).contains(u.count) && u.allSatisfy { ($0 >= 97 && $0 <= 122) || ($0 >= 48 && $0 <= 57) || $0 == 95 }
    }
}

/// How the face is synthesised in a session (reserved for Guidance): after every stroke, or on "convert".
public enum GuidanceMode: String, Sendable, Equatable {
    case live
    case onDemand = "on_demand"
}
