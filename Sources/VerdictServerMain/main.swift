import ArgumentParser
import Foundation
import Logging
import VerdictServer

/// `verdict-server` (what `verdict serve` runs): the answers of `verdict eval` over HTTP.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verdict serve",
        abstract: "Answer tickets over HTTP; reload the policies as they are edited.",
        discussion: """
            POST /v1/eval answers one ticket (JSON) or many (JSON Lines, Content-Type:
            application/x-ndjson) with the lines `verdict eval` prints. The policy folder is
            watched: a set that loads is swapped in whole, one that does not is reported
            (GET /v1/policies, the log, GET /metrics) and the last good set stays in force.
            SIGHUP reloads; SIGTERM or SIGINT stop after the requests in flight.
            docs/serve.md has the API, reload semantics and metrics.

            Exit status: 0 after a graceful stop, 1 when the server cannot start (the
            address is in use, say), 2 on usage errors.
            """
    )

    @Option(name: .long, help: "The policy folder.")
    var policies: String = "./policies"

    @Option(name: .long, help: "HOST:PORT to listen on (port 0: any free port). Loopback unless another address is given.")
    var listen: String = "127.0.0.1:8181"

    @Option(name: .long, help: "The largest request body in bytes; larger ones get 413.")
    var maxBody: Int = 64 << 20

    @Option(name: .long, help: "How to notice edits: auto (inotify on Linux, polling elsewhere), poll, or off (SIGHUP only).")
    var watch: String = "auto"

    @Option(name: .long, help: "With --watch poll: how often to look, in milliseconds.")
    var pollMs: Int = 500

    @Flag(name: .long, help: "Also log each ticket's text (off by default: logs hold no ticket contents).")
    var logTickets = false

    @Option(name: .long, help: "Log level: debug, info, warning or error.")
    var logLevel: String = "info"

    func run() async throws {
        var options = ServerOptions()
        options.policies = policies
        guard let (host, port) = Self.address(listen) else {
            throw ValidationError("--listen wants HOST:PORT (for example 127.0.0.1:8181 or [::1]:8181), not `\(listen)`")
        }
        options.host = host
        options.port = port
        guard maxBody > 0 else { throw ValidationError("--max-body must be a positive number of bytes") }
        options.maxBody = maxBody
        guard let mode = ServerOptions.WatchMode(rawValue: watch) else {
            throw ValidationError("unknown --watch `\(watch)`; modes: auto, poll, off")
        }
        options.watch = mode
        guard pollMs > 0 else { throw ValidationError("--poll-ms must be positive") }
        options.pollInterval = .milliseconds(pollMs)
        options.logTickets = logTickets
        guard let level = Logger.Level(rawValue: logLevel) else {
            throw ValidationError("unknown --log-level `\(logLevel)`; levels: debug, info, warning, error")
        }
        let server = VerdictServer(options: options, logLevel: level)
        if !Self.isLoopback(host) {
            server.logger.warning("listening beyond loopback, as asked", metadata: ["host": .string(host)])
        }
        do {
            try await server.run()
        } catch {
            server.logger.error("the server stopped", metadata: ["error": .string("\(error)")])
            throw ExitCode(1)
        }
    }

    /// `HOST:PORT`, `[IPv6]:PORT`.
    static func address(_ s: String) -> (String, Int)? {
        let host: Substring
        let port: Substring
        if s.hasPrefix("[") {
            guard let close = s.firstIndex(of: "]"), s[s.index(after: close)...].hasPrefix(":") else { return nil }
            host = s[s.index(after: s.startIndex)..<close]
            port = s[s.index(close, offsetBy: 2)...]
        } else {
            guard let colon = s.lastIndex(of: ":") else { return nil }
            host = s[..<colon]
            port = s[s.index(after: colon)...]
        }
        guard !host.isEmpty, let p = Int(port), (0...65535).contains(p) else { return nil }
        return (String(host), p)
    }

    static func isLoopback(_ host: String) -> Bool {
        host == "localhost" || host == "::1" || host.hasPrefix("127.")
    }
}

/// Usage errors exit 2, as every `verdict` command's do.
do {
    let command = try ServeCommand.parse()
    try await command.run()
} catch {
    let code = ServeCommand.exitCode(for: error)
    let message = ServeCommand.fullMessage(for: error)
    if code == .success {
        if !message.isEmpty { print(message) }
        exit(0)
    }
    if !message.isEmpty { FileHandle.standardError.write(Data((message + "\n").utf8)) }
    exit(code == .validationFailure ? 2 : code.rawValue)
}
