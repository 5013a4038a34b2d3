import Sessions

/// What the session's sliders mean to the model.
///
/// Sessions owns the values (five components and a master, each 0…1, shared and persisted). A component's
/// weight `s` blends its drawn latent `z` with its projection `p` onto the manifold of real sketches:
/// `z' = s·p + (1−s)·z` (docs/MODEL_FORMAT.md, step 4). The master scales every component, so the weight the
/// model uses is `component × master`: master 0 reads the raw sketch everywhere, master 1 applies the per-part
/// choices unchanged.
extension SliderValues {
    /// Effective weight per component, in layout order, clamped to `[0, 1]` (NaN reads as 0).
    public func weights(for layout: ComponentLayout) -> [Double] {
        let master = self["master"]
        return layout.components.map { box in
            let value = self[box.name] * master
            return value.isNaN ? 0 : min(1, max(0, value))
        }
    }

    /// Every component fully projected: the weights of the empty canvas (the default face).
    public static func fullyProjected(for layout: ComponentLayout) -> [Double] {
        Array(repeating: 1, count: layout.count)
    }
}
