import ArgumentParser
import FaceModel
import Foundation

/// `sketchface generate sketch.png -o face.png`: one offline synthesis with the shipped model.
struct GenerateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate",
        abstract: "Turn a 512×512 sketch PNG into a face PNG.",
        discussion: "Uses models/default (under the working directory, else the repository the binary was built in) unless --model is given."
    )

    @Argument(help: "The sketch: a 512×512 PNG, black lines on white (transparent reads as white).")
    var sketch: String

    @Option(name: [.short, .customLong("output")], help: "Where to write the face PNG.")
    var output: String

    @Option(name: .long, help: "Model folder (manifest.json, weights.safetensors, database.safetensors).")
    var model: String?

    @Option(name: .long, parsing: .singleValue, help: "Per-component slider NAME=VALUE in [0, 1] (1 = fully projected). Repeatable.")
    var slider: [String] = []

    @Option(name: .long, help: "Slider for every component without its own --slider (default 1).")
    var master: Float?

    @Option(name: .customLong("shadow-out"), help: "Folder to write each component's shadow PNG (grey + alpha).")
    var shadowOut: String?

    @Option(name: .long, help: "Appearance code (version 2 models): a palette index N, default, random (prints which), or from:PHOTO.png (the colours of an aligned, square face photo, FFHQ/CelebA-HQ framing, any size; needs a model with a region map).")
    var appearance: String = "default"

    @Option(name: .long, help: "OpenBLAS threads (default: all cores).")
    var threads: Int?

    func run() throws {
        do {
            let choice = try AppearanceChoice(parsing: appearance)
            if let master, !(0...1).contains(master) { throw GenerateError.invalidSlider("master=\(master)") }
            _ = try PNG.readCanvas(path: sketch)  // a bad sketch is reported before any model lookup
            let directory = try model ?? Generation.defaultModelDirectory(
                workingDirectory: FileManager.default.currentDirectoryPath,
                executablePath: CommandLine.arguments[0].contains("/") ? CommandLine.arguments[0] : (Bundle.main.executablePath ?? CommandLine.arguments[0]))
            var job = Generation(sketchPath: sketch, outputPath: output, modelDirectory: directory)
            for s in slider { let (name, value) = try Generation.parseSlider(s); job.sliders[name] = value }
            job.master = master
            job.shadowDirectory = shadowOut
            job.appearance = choice
            BLASThreads.set(threads ?? ProcessInfo.processInfo.activeProcessorCount)
            let start = Date()
            let summary = try job.run()
            let ms = Int(Date().timeIntervalSince(start) * 1000)
            print("wrote \(summary.outputPath) (\(summary.resolution)×\(summary.resolution), \(ms) ms)")
            for p in summary.shadowPaths { print("wrote \(p)") }
            if let code = summary.photoCode {
                print("appearance from \(appearance.dropFirst(5)): " + code.map { String(format: "%.3f", abs($0) < 0.0005 ? 0 : $0) }.joined(separator: " "))
            }
            if let index = summary.appearanceIndex {
                let how = choice == .random ? "random" : choice == .default ? "default" : "chosen"
                print("appearance \(index) of palette 0–\(summary.paletteSize - 1) (\(how))")
            }
        } catch let error as ValidationError {
            throw error
        } catch let error as GenerateError where error.isUsageError {
            FileHandle.standardError.write(Data("error: \(error)\n".utf8))
            throw ExitCode(2)
        } catch {
            FileHandle.standardError.write(Data("error: \(error)\n".utf8))
            throw ExitCode(1)
        }
    }
}
