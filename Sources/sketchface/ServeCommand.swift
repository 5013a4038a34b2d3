import ArgumentParser

/// Placeholder: replaced by the server issue.
struct ServeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "serve", abstract: "Run the SketchFace server.")
    func run() throws { print("serve: not built yet") }
}
