import ArgumentParser

/// Placeholder: replaced by the runtime issue.
struct GenerateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "generate", abstract: "Turn a sketch PNG into a face PNG.")
    func run() throws { print("generate: not built yet") }
}
