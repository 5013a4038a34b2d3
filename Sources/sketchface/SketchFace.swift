import ArgumentParser

@main
struct SketchFace: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sketchface",
        abstract: "SketchFace: a collaborative sketch-to-face studio.",
        subcommands: [ServeCommand.self, GenerateCommand.self],
        defaultSubcommand: ServeCommand.self
    )
}
