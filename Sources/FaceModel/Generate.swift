import Foundation

/// Errors of the `generate` command that are not file-format errors.
public enum GenerateError: Error, Equatable, CustomStringConvertible {
    case invalidSlider(String)
    case unknownComponent(String, known: [String])
    case modelNotFound(searched: [String])
    case invalidAppearance(String)
    case appearanceOutOfRange(Int, paletteSize: Int)
    case noAppearancePalette(String)

    /// A bad command-line value rather than a bad file: the CLI exits 2 for these.
    public var isUsageError: Bool {
        switch self {
        case .invalidAppearance, .appearanceOutOfRange, .noAppearancePalette: return true
        default: return false
        }
    }

    public var description: String {
        switch self {
        case let .invalidAppearance(text): return "invalid appearance '\(text)': expected a palette index N, default, random or from:PHOTO.png"
        case let .appearanceOutOfRange(index, size):
            return "appearance \(index) is out of range: the model's palette has \(size) code\(size == 1 ? "" : "s") (0–\(size - 1))"
        case let .noAppearancePalette(text): return "appearance '\(text)': this model (version 1) has no appearance palette"
        case let .invalidSlider(text): return "invalid slider '\(text)': expected NAME=VALUE with VALUE in [0, 1], e.g. left_eye=0.7"
        case let .unknownComponent(name, known): return "unknown component '\(name)' (components: \(known.joined(separator: ", ")))"
        case let .modelNotFound(searched): return "no model found; looked for manifest.json in: \(searched.joined(separator: ", ")) (pass --model DIR)"
        }
    }
}

/// One offline synthesis: sketch PNG → face PNG (+ optional shadow PNGs), the `sketchface generate`
/// command's whole behaviour as a library call.
public struct Generation {
    /// The input sketch PNG (512×512).
    public var sketchPath: String
    /// Where the face PNG goes.
    public var outputPath: String
    /// The model folder.
    public var modelDirectory: String
    /// Per-component slider overrides by component name.
    public var sliders: [String: Float] = [:]
    /// Slider applied to every component without an override (default 1).
    public var master: Float?
    /// Folder for `<component>.png` shadows (grey+alpha); created when missing.
    public var shadowDirectory: String?
    /// Which palette code (or photo's code) the generator is conditioned on (version 2 models).
    public var appearance = AppearanceChoice.default
    /// Picks the palette index for `.random` given the palette size (replaced by tests).
    public var randomIndex: (Int) -> Int = { Int.random(in: 0..<$0) }

    /// A run with every slider at 1 and no shadows written.
    public init(sketchPath: String, outputPath: String, modelDirectory: String) {
        self.sketchPath = sketchPath; self.outputPath = outputPath; self.modelDirectory = modelDirectory
    }

    /// Parses `NAME=VALUE` with VALUE in [0, 1].
    public static func parseSlider(_ text: String) throws -> (String, Float) {
        let parts = text.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, let v = Float(parts[1]), v >= 0, v <= 1 else { throw GenerateError.invalidSlider(text) }
        return (String(parts[0]), v)
    }

    /// The default model folder: `models/default` under the working directory, else under the
    /// nearest ancestor of the executable that holds one (the repo the binary was built in).
    public static func defaultModelDirectory(workingDirectory: String, executablePath: String) throws -> String {
        var searched = [workingDirectory + "/models/default"]
        var dir = URL(fileURLWithPath: executablePath).resolvingSymlinksInPath().deletingLastPathComponent()
        while dir.path != "/" && !dir.path.isEmpty {
            searched.append(dir.path + "/models/default")
            dir = dir.deletingLastPathComponent()
        }
        for candidate in searched where fileExists(candidate + "/manifest.json") { return candidate }
        let executable = URL(fileURLWithPath: executablePath).resolvingSymlinksInPath().path
        throw GenerateError.modelNotFound(searched: [searched[0], "the folders above \(executable)"])
    }

    /// What a run produced.
    public struct Summary: Equatable {
        public let outputPath: String
        public let shadowPaths: [String]
        public let resolution: Int
        public let sliders: [String: Float]
        /// The palette index used; nil for a version 1 model.
        public let appearanceIndex: Int?
        /// Codes in the model's palette (0 for a version 1 model).
        public let paletteSize: Int
        /// The code taken from the photo of `from:PHOTO`; nil otherwise.
        public var photoCode: [Float]? = nil
    }

    /// Runs the pipeline. The sketch (and a `from:` photo) is checked before the model is loaded, so a bad
    /// input fails fast.
    public func run(workspace: Workspace = Workspace()) throws -> Summary {
        let canvas = try PNG.readCanvas(path: sketchPath)
        let photo = try appearance.readPhoto()
        let model = try FaceModel(directory: modelDirectory)
        let names = model.manifest.components.map(\.name)
        for name in sliders.keys where !names.contains(name) { throw GenerateError.unknownComponent(name, known: names) }
        let index = try appearance.paletteIndex(in: model.manifest.appearance, random: randomIndex)
        let session = FaceSession(model: model)
        session.update(canvas)
        if let index, let palette = model.manifest.appearance?.palette { session.setAppearance(palette[index]) }
        var photoCode: [Float]?
        if let (path, image) = photo, let a = model.manifest.appearance {
            photoCode = try a.code(photo: image, file: path)
            session.setAppearance(photoCode!)
        }
        var used: [String: Float] = [:]
        for (i, name) in names.enumerated() {
            let s = sliders[name] ?? master ?? 1
            session.setSlider(s, component: i)
            used[name] = s
        }
        let image = session.face(workspace: workspace)
        try PNG.write(try PNG.encode(image, fast: false), to: outputPath)  // a file to keep: full deflate
        var shadowPaths: [String] = []
        if let shadowDirectory {
            do { try FileManager.default.createDirectory(atPath: shadowDirectory, withIntermediateDirectories: true) } catch {
                throw PNGError.unwritable(file: shadowDirectory, reason: "cannot create the folder")
            }
            for (i, name) in names.enumerated() {
                let path = shadowDirectory + "/\(name).png"
                try PNG.write(try PNG.encode(session.shadow(component: i, workspace: workspace), fast: false), to: path)
                shadowPaths.append(path)
            }
        }
        return Summary(outputPath: outputPath, shadowPaths: shadowPaths, resolution: model.manifest.resolution, sliders: used,
                       appearanceIndex: index, paletteSize: model.manifest.appearance?.palette.count ?? 0, photoCode: photoCode)
    }
}

/// The `--appearance` choice: a palette index, the palette default, a random palette code, or the code of an
/// aligned face photo (by the model's region map).
public enum AppearanceChoice: Equatable, Sendable {
    case `default`
    case index(Int)
    case random
    case photo(String)

    /// Parses `N` (a non-negative integer), `default`, `random` or `from:PATH` (a PNG photo).
    public init(parsing text: String) throws {
        switch text {
        case "default": self = .default
        case "random": self = .random
        case _ where text.hasPrefix("from:"):
            let path = String(text.dropFirst(5))
            guard !path.isEmpty else { throw GenerateError.invalidAppearance(text) }
            self = .photo(path)
        default:
            guard let n = Int(text), n >= 0 else { throw GenerateError.invalidAppearance(text) }
            self = .index(n)
        }
    }

    /// The command-line spelling.
    public var text: String {
        switch self {
        case .default: return "default"
        case .random: return "random"
        case let .index(n): return String(n)
        case let .photo(path): return "from:" + path
        }
    }

    /// The photo of `from:PATH`, read and checked square (its size against the region map needs the model);
    /// nil for the other choices.
    func readPhoto() throws -> (String, RGBImage)? {
        guard case let .photo(path) = self else { return nil }
        let image = try PNG.readRGB(path: path)
        guard image.width == image.height else { throw PhotoAppearanceError.notSquare(file: path, width: image.width, height: image.height) }
        return (path, image)
    }

    /// The palette index this choice means for a model's `appearance` (nil for a version 1 model, which only
    /// accepts `default`, and for a photo); `random` draws with `random(paletteSize)`.
    public func paletteIndex(in appearance: Appearance?, random: (Int) -> Int) throws -> Int? {
        guard let appearance else {
            if self == .default { return nil }
            throw GenerateError.noAppearancePalette(text)
        }
        switch self {
        case .default: return appearance.defaultIndex
        case .random: return random(appearance.palette.count)
        case .photo: return nil
        case let .index(n):
            guard n < appearance.palette.count else { throw GenerateError.appearanceOutOfRange(n, paletteSize: appearance.palette.count) }
            return n
        }
    }
}
