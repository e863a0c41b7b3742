import ArgumentParser
import FoundationEssentials

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// `verdict serve`: runs `verdict-server`, found next to this executable, in
/// this process's place. The server is a product of its own so that building
/// and starting `verdict` never pays for the HTTP stack.
struct ServeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Answer tickets over HTTP, reloading the policies as they are edited (runs verdict-server).",
        discussion: """
            verdict serve [--policies DIR] [--listen HOST:PORT] [--max-body BYTES] [--watch auto|poll|off]
                          [--log-tickets] [--log-level LEVEL]
            Every option goes to `verdict-server`, which must be in the same folder as
            `verdict` (`swift build --product verdict-server`); `verdict-server --help`
            explains each option, and docs/serve.md the API.
            """
    )

    @Argument(parsing: .allUnrecognized, help: "Options for verdict-server.")
    var arguments: [String] = []

    /// The server executable: `VERDICT_SERVER`, else `verdict-server` beside this executable.
    static func serverPath() -> String {
        if let p = ProcessInfo.processInfo.environment["VERDICT_SERVER"], !p.isEmpty { return p }
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let n = readlink("/proc/self/exe", &buffer, Int(PATH_MAX))
        let me: String =
            n > 0
            ? String(decoding: buffer[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
            : URL(fileURLWithPath: CommandLine.arguments.first ?? "verdict").standardizedFileURL.path
        return URL(fileURLWithPath: me).deletingLastPathComponent().appendingPathComponent("verdict-server").path
    }

    func run() throws {
        let path = Self.serverPath()
        guard access(path, X_OK) == 0 else {
            Output.stderr(
                """
                error: `verdict serve` runs `verdict-server`, and there is none at `\(path)`
                   help: build it beside `verdict`: `swift build --product verdict-server` (add `-c release` for a release build)

                """)
            throw ExitStatus.usage.code
        }
        let argv = ([path] + arguments).map { strdup($0) } + [nil]
        execv(path, argv)
        let e = errno
        Output.stderr("error: cannot run `\(path)`: \(Output.describe(errno: e))\n")
        throw ExitStatus.usage.code
    }
}
