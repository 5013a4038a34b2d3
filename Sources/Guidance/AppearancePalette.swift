import FaceModel

/// The appearance codes a version 2 model ships (docs/MODEL_FORMAT.md, "Version 2"), as guidance announces them:
/// a session picks one by index (the `appearance` setting, shared and persisted by Sessions) and the client shows
/// each as a swatch of its region colours.
public struct AppearancePalette: Sendable, Equatable {
    /// Region names in code order (`background`, `skin`, …); each region is three floats, R, G, B in [−1, 1].
    public var regions: [String]
    /// The codes, `3 · regions.count` floats each.
    public var codes: [[Float]]
    /// The code a session uses until someone picks one.
    public var defaultIndex: Int

    public init(regions: [String], codes: [[Float]], defaultIndex: Int) {
        self.regions = regions
        self.codes = codes
        self.defaultIndex = defaultIndex
    }

    /// The palette of a loaded model's manifest; nil for a version 1 model.
    public init?(_ appearance: Appearance?) {
        guard let appearance else { return nil }
        self.init(regions: appearance.regions, codes: appearance.palette, defaultIndex: appearance.defaultIndex)
    }

    /// The index a session's setting means: the setting when it is in the palette, else the default.
    public func index(for setting: Int?) -> Int {
        guard let setting, codes.indices.contains(setting) else { return defaultIndex }
        return setting
    }
}
