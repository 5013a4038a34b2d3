/// One top-level section of `Config/sketchface.json`, decoded from its own sub-object.
///
/// To add a section: write a type conforming to this protocol in its own file, add it to
/// `Config.sectionTypes`, document its keys in docs/CONFIG.md, and read it with `config[MySection.self]`.
public protocol ConfigSection: Sendable {
    /// The section's key in the file (`limits`).
    static var key: String { get }
    /// Reads the section; every key must be read (unknown keys are errors) and validated here.
    init(from object: ConfigObject) throws
}
