import Foundation
import NIOConcurrencyHelpers
import ServiceLifecycle
import Testing
import VerdictCompiler
import VerdictServer

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

enum Repo {
    /// The repository root, from this file's place (Tests/VerdictServerTests/Support.swift).
    static let root: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.path
    }()

    static func text(_ relative: String) throws -> String {
        try String(contentsOfFile: root + "/" + relative, encoding: .utf8)
    }
}

/// A copy of the shipped policies in a fresh temporary folder, removed on deinit.
final class Policies: Sendable {
    let path: String

    init() throws {
        path = NSTemporaryDirectory() + "verdict-server-tests-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        let shipped = Repo.root + "/policies"
        for name in try FileManager.default.contentsOfDirectory(atPath: shipped) where name.hasSuffix(".yaml") {
            try FileManager.default.copyItem(atPath: shipped + "/" + name, toPath: path + "/" + name)
        }
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    func read(_ file: String) throws -> String { try String(contentsOfFile: path + "/" + file, encoding: .utf8) }

    /// Writes a file whole, as editors do (a new file renamed over the old one).
    func write(_ file: String, _ text: String) throws {
        try text.write(toFile: path + "/" + file, atomically: true, encoding: .utf8)
    }

    /// Replaces the one occurrence of `old` in `file`.
    func edit(_ file: String, replacing old: String, with new: String) throws {
        let text = try read(file)
        let parts = text.components(separatedBy: old)
        guard parts.count == 2 else { throw Failure("`\(old)` occurs \(parts.count - 1) times in \(file)") }
        try write(file, parts[0] + new + parts[1])
    }
}

/// A server in this process on an ephemeral loopback port, with its log kept.
final class TestServer: Sendable {
    let server: VerdictServer
    let port: Int
    let log: NIOLockedValueBox<[String]>
    private let group: ServiceGroup
    private let task: Task<Void, any Error>

    private init(server: VerdictServer, port: Int, log: NIOLockedValueBox<[String]>, group: ServiceGroup, task: Task<Void, any Error>) {
        self.server = server
        self.port = port
        self.log = log
        self.group = group
        self.task = task
    }

    static func start(_ policies: String, configure: (inout ServerOptions) -> Void = { _ in }) async throws -> TestServer {
        var options = ServerOptions()
        options.policies = policies
        options.port = 0
        options.debounce = .milliseconds(50)
        configure(&options)
        let log = NIOLockedValueBox<[String]>([])
        let server = VerdictServer(options: options, logSink: .memory(log))
        let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
        let group = server.makeServiceGroup(signals: []) { port in continuation.yield(port) }
        let task = Task { try await group.run() }
        let port = try await withThrowingTaskGroup(of: Int?.self) { g in
            g.addTask { await ports.first { _ in true } }
            g.addTask {
                try await Task.sleep(for: .seconds(60))
                return nil
            }
            let first = try await g.next() ?? nil
            g.cancelAll()
            return first
        }
        guard let port else {
            task.cancel()
            throw Failure("the server did not start listening within 60 s")
        }
        return TestServer(server: server, port: port, log: log, group: group, task: task)
    }

    /// Stops as SIGTERM would: no new connections, requests in flight finish.
    func stop() async throws {
        await group.triggerGracefulShutdown()
        try await task.value
    }

    var logLines: [String] { log.withLockedValue { $0 } }
}

/// Runs `body` with a started server and always stops it.
func withServer<T>(
    _ policies: Policies, configure: (inout ServerOptions) -> Void = { _ in },
    _ body: (TestServer) async throws -> T
) async throws -> T {
    let s = try await TestServer.start(policies.path, configure: configure)
    do {
        let result = try await body(s)
        try await s.stop()
        return result
    } catch {
        try? await s.stop()
        throw error
    }
}

/// Polls `condition` every 20 ms until it holds or `seconds` pass.
func eventually(within seconds: Double = 10, _ condition: () async throws -> Bool) async throws -> Bool {
    let deadline = ContinuousClock.now + .milliseconds(Int(seconds * 1000))
    while ContinuousClock.now < deadline {
        if try await condition() { return true }
        try await Task.sleep(for: .milliseconds(20))
    }
    return try await condition()
}

/// The `verdict-server` executable SwiftPM built beside the test bundle.
enum ServerBinary {
    static let path: String? = {
        if let p = ProcessInfo.processInfo.environment["VERDICT_SERVER"] { return p }
        var dirs: [URL] = []
        if let arg0 = CommandLine.arguments.first {
            dirs.append(URL(fileURLWithPath: arg0).deletingLastPathComponent())
        }
        let bundle = Bundle.main.bundleURL
        dirs += [bundle, bundle.deletingLastPathComponent(), bundle.deletingLastPathComponent().deletingLastPathComponent()]
        for dir in dirs {
            let candidate = dir.appendingPathComponent("verdict-server").path
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }()
}

/// `verdict-server` as a child process on an ephemeral port; its stderr
/// (the JSON log) goes to a file.
final class ChildServer {
    let process = Process()
    let logPath: String
    var port = 0

    init(policies: String, arguments: [String] = []) throws {
        guard let binary = ServerBinary.path else { throw Failure("no verdict-server beside the test bundle") }
        logPath = NSTemporaryDirectory() + "verdict-server-log-" + UUID().uuidString
        _ = FileManager.default.createFile(atPath: logPath, contents: nil)
        guard let handle = FileHandle(forWritingAtPath: logPath) else { throw Failure("cannot write \(logPath)") }
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = ["--policies", policies, "--listen", "127.0.0.1:0"] + arguments
        process.standardError = handle
        process.standardOutput = FileHandle.nullDevice
        try process.run()
    }

    deinit {
        if process.isRunning { process.terminate() }
        try? FileManager.default.removeItem(atPath: logPath)
    }

    var log: String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }

    /// Waits for the `listening` log line and takes the port from it.
    func waitUntilListening() async throws {
        let found = try await eventually(within: 60) {
            for line in log.split(separator: "\n") where line.contains("\"msg\":\"listening\"") {
                if let r = line.range(of: "\"port\":"), let p = Int(line[r.upperBound...].prefix { $0.isNumber }) {
                    port = p
                    return true
                }
            }
            return !process.isRunning
        }
        guard found, port > 0 else { throw Failure("verdict-server did not start:\n\(log)") }
    }

    func signal(_ s: Int32) { kill(process.processIdentifier, s) }

    /// Waits for the exit; nil when it does not come within `seconds`.
    func waitForExit(within seconds: Double) async throws -> Int32? {
        let exited = try await eventually(within: seconds) { !process.isRunning }
        return exited ? process.terminationStatus : nil
    }
}

/// The lines of a text, without the empty string after a final newline.
func lines(_ text: String) -> [String] {
    var parts = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    if parts.last == "" { parts.removeLast() }
    return parts
}
