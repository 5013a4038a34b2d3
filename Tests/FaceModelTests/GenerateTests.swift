import XCTest
@testable import FaceModel

/// The `sketchface generate` path: the library call directly, then the built binary.
final class GenerateTests: XCTestCase {
    func writeSketch(_ canvas: Canvas, to path: String) throws {
        try PNG.write(try PNG.encodeGrey(canvas.pixels, width: 512, height: 512), to: path)
    }

    func testGenerateWritesTheFaceAndShadowsForASketch() throws {
        let model = try TinyModel.makeDirectory()
        let dir = temporaryDirectory("generate")
        let sketch = TinyModel.sketch(seed: 9)
        try writeSketch(sketch, to: dir + "/sketch.png")
        var job = Generation(sketchPath: dir + "/sketch.png", outputPath: dir + "/face.png", modelDirectory: model)
        job.sliders = ["nose": 0.25]
        job.master = 0.5
        job.shadowDirectory = dir + "/shadows"
        let summary = try job.run()
        XCTAssertEqual(summary.sliders, ["left_eye": 0.5, "right_eye": 0.5, "nose": 0.25, "mouth": 0.5, "remainder": 0.5])
        XCTAssertEqual(summary.shadowPaths.count, 5)
        let face = try PNG.decodeRGBA(try readFileBytes(dir + "/face.png"))
        XCTAssertEqual([face.width, face.height], [64, 64])
        // Same face as the in-memory pipeline with the same sliders.
        let loaded = try FaceModel(directory: model)
        let expected = loaded.synthesize(sketch, sliders: [0.5, 0.5, 0.25, 0.5, 0.5], workspace: Workspace())
        XCTAssertEqual((0..<(64 * 64)).flatMap { Array(face.rgba[(4 * $0)..<(4 * $0 + 3)]) }, expected.pixels)
        let nose = try PNG.decodeRGBA(try readFileBytes(dir + "/shadows/nose.png"))
        XCTAssertEqual(nose.width, 20)
    }

    func testBadInputsGiveOneClearError() throws {
        let model = try TinyModel.makeDirectory()
        let dir = temporaryDirectory("generate-bad")
        try PNG.write(try PNG.encodeGrey([UInt8](repeating: 255, count: 100), width: 10, height: 10), to: dir + "/small.png")
        try writeFileBytes(dir + "/text.png", Array("hello".utf8))
        func message(_ sketch: String, model m: String = model, sliders: [String: Float] = [:]) -> String {
            var job = Generation(sketchPath: sketch, outputPath: dir + "/out.png", modelDirectory: m)
            job.sliders = sliders
            do { _ = try job.run(); return "no error" } catch { return "\(error)" }
        }
        XCTAssertEqual(message(dir + "/small.png"), "\(dir)/small.png: the sketch is 10×10; it must be 512×512")
        XCTAssertEqual(message(dir + "/text.png"), "\(dir)/text.png: not a PNG file")
        XCTAssertTrue(message(dir + "/missing.png").contains("No such file"))
        try writeSketch(Canvas(), to: dir + "/blank.png")
        XCTAssertEqual(message(dir + "/blank.png", model: dir + "/nomodel"), "model file not found: \(dir)/nomodel/manifest.json")
        XCTAssertTrue(message(dir + "/blank.png", sliders: ["ear": 1]).hasPrefix("unknown component 'ear'"))
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/out.png"))
        XCTAssertThrowsError(try Generation.parseSlider("nose=1.5"))
        XCTAssertThrowsError(try Generation.parseSlider("nose"))
        XCTAssertEqual(try Generation.parseSlider("left_eye=0.7").1, 0.7)
    }

    func testAppearanceChoiceConditionsTheFaceOnThatPaletteCode() throws {
        let model = try TinyModel.makeDirectory(version: 2)
        let dir = temporaryDirectory("generate-appearance")
        let sketch = TinyModel.sketch(seed: 13)
        try writeSketch(sketch, to: dir + "/sketch.png")
        let loaded = try FaceModel(directory: model)
        func run(_ choice: AppearanceChoice, drawing: Int = 0) throws -> (Generation.Summary, [UInt8]) {
            var job = Generation(sketchPath: dir + "/sketch.png", outputPath: dir + "/face.png", modelDirectory: model)
            job.appearance = choice
            job.randomIndex = { XCTAssertEqual($0, 3); return drawing }
            let summary = try job.run()
            let face = try PNG.decodeRGBA(try readFileBytes(dir + "/face.png"))
            return (summary, (0..<(64 * 64)).flatMap { Array(face.rgba[(4 * $0)..<(4 * $0 + 3)]) })
        }
        for (choice, index) in [(AppearanceChoice.default, 1), (.index(2), 2), (.index(0), 0), (.random, 0)] {
            let (summary, pixels) = try run(choice)
            XCTAssertEqual(summary.appearanceIndex, index, "\(choice)")
            XCTAssertEqual(summary.paletteSize, 3)
            XCTAssertEqual(pixels, loaded.synthesize(sketch, appearance: TinyModel.palette[index], workspace: Workspace()).pixels, "\(choice)")
        }
        XCTAssertEqual(try run(.random, drawing: 2).0.appearanceIndex, 2)
        XCTAssertThrowsError(try run(.index(3))) {
            XCTAssertEqual("\($0)", "appearance 3 is out of range: the model's palette has 3 codes (0–2)")
            XCTAssertEqual(($0 as? GenerateError)?.isUsageError, true)
        }
        // A version 1 model has no palette: only `default` is accepted.
        var v1 = Generation(sketchPath: dir + "/sketch.png", outputPath: dir + "/v1.png", modelDirectory: try TinyModel.makeDirectory())
        XCTAssertNil(try v1.run().appearanceIndex)
        v1.appearance = .random
        XCTAssertThrowsError(try v1.run()) { XCTAssertEqual("\($0)", "appearance 'random': this model (version 1) has no appearance palette") }
    }

    func testAppearanceArgumentsParseOrGiveOneClearError() throws {
        XCTAssertEqual(try AppearanceChoice(parsing: "default"), .default)
        XCTAssertEqual(try AppearanceChoice(parsing: "random"), .random)
        XCTAssertEqual(try AppearanceChoice(parsing: "4"), .index(4))
        for bad in ["blue", "-1", "1.5", "", "Default", " 2"] {
            XCTAssertThrowsError(try AppearanceChoice(parsing: bad)) {
                XCTAssertEqual($0 as? GenerateError, .invalidAppearance(bad))
                XCTAssertEqual("\($0)", "invalid appearance '\(bad)': expected a palette index N, default, random or from:PHOTO.png")
            }
        }
    }

    func testDefaultModelIsFoundUnderTheWorkingDirectoryThenTheExecutablesAncestors() throws {
        let root = temporaryDirectory("repo")
        try FileManager.default.createDirectory(atPath: root + "/models/default", withIntermediateDirectories: true)
        try writeFileBytes(root + "/models/default/manifest.json", Array("{}".utf8))
        try FileManager.default.createDirectory(atPath: root + "/.build/debug", withIntermediateDirectories: true)
        let elsewhere = temporaryDirectory("cwd")
        XCTAssertEqual(try Generation.defaultModelDirectory(workingDirectory: elsewhere, executablePath: root + "/.build/debug/sketchface"), root + "/models/default")
        XCTAssertEqual(try Generation.defaultModelDirectory(workingDirectory: root, executablePath: "/usr/bin/sketchface"), root + "/models/default")
        XCTAssertThrowsError(try Generation.defaultModelDirectory(workingDirectory: elsewhere, executablePath: elsewhere + "/sketchface")) {
            XCTAssertTrue("\($0)".contains("--model"))
        }
    }

    /// Spawns the built `sketchface` binary (built by `swift build --build-tests`, which CI runs).
    func testBinaryGeneratesAFaceAndRejectsAWrongSizeSketch() throws {
        // The test bundle sits in the build products folder (Linux: the folder itself is the bundle URL).
        let bundle = Bundle(for: Self.self).bundleURL
        let candidates = [bundle.appendingPathComponent("sketchface"), bundle.deletingLastPathComponent().appendingPathComponent("sketchface")].map(\.path)
        guard let binary = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
            throw XCTSkip("sketchface not built next to the tests (\(candidates[0])): run `swift build --build-tests` first")
        }
        let model = try TinyModel.makeDirectory()
        let dir = temporaryDirectory("generate-cli")
        try writeSketch(TinyModel.sketch(seed: 4), to: dir + "/sketch.png")
        try PNG.write(try PNG.encodeGrey([UInt8](repeating: 255, count: 100), width: 10, height: 10), to: dir + "/small.png")
        func run(_ args: [String]) throws -> (Int32, String) {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: binary)
            p.arguments = args
            let pipe = Pipe()
            p.standardOutput = pipe
            p.standardError = pipe
            try p.run()
            let out = pipe.fileHandleForReading.readDataToEndOfFile()
            p.waitUntilExit()
            return (p.terminationStatus, String(decoding: out, as: UTF8.self))
        }
        let (ok, okOut) = try run(["generate", dir + "/sketch.png", "-o", dir + "/face.png", "--model", model, "--slider", "mouth=0.3", "--threads", "1"])
        XCTAssertEqual(ok, 0, okOut)
        XCTAssertEqual(try PNG.decodeRGBA(try readFileBytes(dir + "/face.png")).width, 64)
        let (bad, badOut) = try run(["generate", dir + "/small.png", "-o", dir + "/x.png", "--model", model])
        XCTAssertEqual(bad, 1)
        XCTAssertEqual(badOut, "error: \(dir)/small.png: the sketch is 10×10; it must be 512×512\n")
        let (noModel, noModelOut) = try run(["generate", dir + "/sketch.png", "-o", dir + "/x.png", "--model", dir + "/none"])
        XCTAssertEqual(noModel, 1)
        XCTAssertTrue(noModelOut.contains("model file not found"), noModelOut)
        // Appearance: a palette index, random (says which), and bad values exiting 2 with one line.
        let v2 = try TinyModel.makeDirectory(version: 2)
        let (chosen, chosenOut) = try run(["generate", dir + "/sketch.png", "-o", dir + "/a.png", "--model", v2, "--appearance", "2", "--threads", "1"])
        XCTAssertEqual(chosen, 0, chosenOut)
        XCTAssertTrue(chosenOut.hasSuffix("appearance 2 of palette 0–2 (chosen)\n"), chosenOut)
        let (random, randomOut) = try run(["generate", dir + "/sketch.png", "-o", dir + "/r.png", "--model", v2, "--appearance", "random", "--threads", "1"])
        XCTAssertEqual(random, 0, randomOut)
        XCTAssertNotNil(randomOut.range(of: #"appearance [0-2] of palette 0–2 \(random\)\n$"#, options: .regularExpression), randomOut)
        let (word, wordOut) = try run(["generate", dir + "/sketch.png", "-o", dir + "/x.png", "--model", v2, "--appearance", "blue"])
        XCTAssertEqual(word, 2)
        XCTAssertEqual(wordOut, "error: invalid appearance 'blue': expected a palette index N, default, random or from:PHOTO.png\n")
        let (range, rangeOut) = try run(["generate", dir + "/sketch.png", "-o", dir + "/x.png", "--model", v2, "--appearance", "7"])
        XCTAssertEqual(range, 2)
        XCTAssertEqual(rangeOut, "error: appearance 7 is out of range: the model's palette has 3 codes (0–2)\n")
        // From a photo: the code is printed; a model without a region map exits 1 with one line.
        try PNG.write(try PNG.encode(RGBImage(width: 16, height: 16, pixels: [UInt8](repeating: 128, count: 768))), to: dir + "/photo.png")
        let tiny = GoldenParityTests.fixtures("tiny")
        let (photo, photoOut) = try run(["generate", dir + "/sketch.png", "-o", dir + "/p.png", "--model", tiny, "--appearance", "from:" + dir + "/photo.png", "--threads", "1"])
        XCTAssertEqual(photo, 0, photoOut)
        XCTAssertTrue(photoOut.hasSuffix("appearance from \(dir)/photo.png: " + Array(repeating: "0.004", count: 6).joined(separator: " ") + "\n"), photoOut)
        let (noMap, noMapOut) = try run(["generate", dir + "/sketch.png", "-o", dir + "/x.png", "--model", v2, "--appearance", "from:" + dir + "/photo.png"])
        XCTAssertEqual(noMap, 1)
        XCTAssertEqual(noMapOut, "error: this model has no region map; re-export it to take an appearance from a photo\n")
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/x.png"))
    }
}
