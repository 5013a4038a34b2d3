/// `model`: the exported face model the server loads.
public struct ModelSection: ConfigSection {
    public static let key = "model"
    /// Directory of the exported model (manifest and weights).
    public var path: String

    public init(from object: ConfigObject) throws {
        path = try object.string("path", default: "models/default")
    }
}
