import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// End-to-end tests run the built `verdict` executable as another tool would:
/// bytes on stdin, bytes on stdout and stderr, an exit status.

enum Repo {
    /// The repository root, found from this file's location (Tests/VerdictCLITests/Support.swift).
    static let root: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.path
    }()
    static var policies: String { root + "/policies" }
    static func path(_ relative: String) -> String { root + "/" + relative }

    static func read(_ relative: String) throws -> [UInt8] {
        guard let data = FileManager.default.contents(atPath: path(relative)) else {
            throw Failure("cannot read \(relative)")
        }
        return [UInt8](data)
    }
}

struct Failure: Error, CustomStringConvertible {
    var description: String
    init(_ d: String) { description = d }
}

/// The `verdict` executable SwiftPM built next to the test bundle
/// (`<scratch>/debug/verdict`); `VERDICT_BINARY` overrides it.
enum Binary {
    static let path: String? = {
        if let p = ProcessInfo.processInfo.environment["VERDICT_BINARY"] { return p }
        var dirs: [URL] = []
        if let arg0 = CommandLine.arguments.first {
            dirs.append(URL(fileURLWithPath: arg0).deletingLastPathComponent())
        }
        let bundle = Bundle.main.bundleURL
        dirs.append(bundle)
        dirs.append(bundle.deletingLastPathComponent())
        // macOS: <scratch>/debug/verdictPackageTests.xctest/Contents/MacOS/…
        dirs.append(bundle.deletingLastPathComponent().deletingLastPathComponent())
        for dir in dirs {
            let candidate = dir.appendingPathComponent("verdict").path
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }()

    static func require() throws -> String {
        guard let path else {
            throw Failure(
                "no `verdict` executable next to the test bundle (\(CommandLine.arguments.first ?? "?")); set VERDICT_BINARY")
        }
        return path
    }
}

/// One finished run of `verdict`.
struct Run: Sendable, CustomStringConvertible {
    var status: Int32
    /// True when the process ended by a signal (a crash), not by exit.
    var signaled: Bool
    var stdout: [UInt8]
    var stderr: [UInt8]
    /// How many bytes of the stdin file the process consumed (the file offset is shared).
    var stdinConsumed: UInt64

    var out: String { String(decoding: stdout, as: UTF8.self) }
    var err: String { String(decoding: stderr, as: UTF8.self) }
    /// stdout split at "\n"; the text after the last "\n" must be empty.
    var lines: [String] {
        var parts = out.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        if parts.last == "" { parts.removeLast() }
        return parts
    }

    var description: String {
        "exit \(status)\(signaled ? " (signal)" : "")\n--- stdout (\(stdout.count) bytes)\n\(String(out.prefix(3000)))\n--- stderr\n\(String(err.prefix(3000)))"
    }
}

/// Runs `verdict ARGS` in the repository root with `stdin` as a file (so a hang
/// waiting for input is impossible and what was read can be measured), stdout
/// and stderr captured to files; kills it and throws after `timeout` seconds.
func verdict(
    _ args: [String], stdin: [UInt8] = [], timeout: Double = 60, cwd: String = Repo.root, environment: [String: String] = [:]
) throws -> Run {
    let binary = try Binary.require()
    let dir = try TempDir()
    let inPath = dir.path + "/stdin"
    let outPath = dir.path + "/stdout"
    let errPath = dir.path + "/stderr"
    guard FileManager.default.createFile(atPath: inPath, contents: Data(stdin)),
        FileManager.default.createFile(atPath: outPath, contents: nil),
        FileManager.default.createFile(atPath: errPath, contents: nil),
        let inHandle = FileHandle(forReadingAtPath: inPath),
        let outHandle = FileHandle(forWritingAtPath: outPath),
        let errHandle = FileHandle(forWritingAtPath: errPath)
    else { throw Failure("cannot create files in \(dir.path)") }
    defer {
        try? inHandle.close()
        try? outHandle.close()
        try? errHandle.close()
    }
    let process = Process()
    process.executableURL = URL(fileURLWithPath: binary)
    process.arguments = args
    process.currentDirectoryURL = URL(fileURLWithPath: cwd)
    if !environment.isEmpty {
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
    }
    process.standardInput = inHandle
    process.standardOutput = outHandle
    process.standardError = errHandle
    let done = DispatchSemaphore(value: 0)
    process.terminationHandler = { _ in done.signal() }
    try process.run()
    if done.wait(timeout: .now() + timeout) == .timedOut {
        process.terminate()
        _ = done.wait(timeout: .now() + 5)
        throw Failure("`verdict \(args.joined(separator: " "))` did not finish within \(timeout) s")
    }
    let consumed = try inHandle.offset()
    return Run(
        status: process.terminationStatus,
        signaled: process.terminationReason == .uncaughtSignal,
        stdout: [UInt8](FileManager.default.contents(atPath: outPath) ?? Data()),
        stderr: [UInt8](FileManager.default.contents(atPath: errPath) ?? Data()),
        stdinConsumed: consumed)
}

/// A fresh directory under the system temporary folder, removed on deinit.
final class TempDir {
    let path: String
    init() throws {
        path = NSTemporaryDirectory() + "verdict-cli-tests-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }
    deinit { try? FileManager.default.removeItem(atPath: path) }

    func write(_ name: String, _ text: String) throws {
        try text.write(toFile: path + "/" + name, atomically: true, encoding: .utf8)
    }
    func read(_ name: String) throws -> String {
        try String(contentsOfFile: path + "/" + name, encoding: .utf8)
    }
}

/// A copy of the shipped policies in a temporary folder, to break on purpose.
final class PolicyCopy {
    let dir: TempDir
    var path: String { dir.path }
    init() throws {
        dir = try TempDir()
        for name in try FileManager.default.contentsOfDirectory(atPath: Repo.policies) where name.hasSuffix(".yaml") {
            try FileManager.default.copyItem(atPath: Repo.policies + "/" + name, toPath: dir.path + "/" + name)
        }
    }

    /// Replaces exactly one occurrence of `old` in `file`; returns the 1-based line and
    /// column (in Unicode scalars) where `marker` starts in the edited file.
    @discardableResult
    func edit(_ file: String, replacing old: String, with new: String, marker: String? = nil) throws -> (line: Int, column: Int) {
        let text = try dir.read(file)
        let parts = text.components(separatedBy: old)
        guard parts.count == 2 else {
            throw Failure("`\(old)` occurs \(parts.count - 1) times in \(file), expected once")
        }
        let edited = parts[0] + new + parts[1]
        try dir.write(file, edited)
        let m = marker ?? new
        guard let at = PolicyCopy.position(of: m, in: edited, from: parts[0].count) else {
            throw Failure("marker `\(m)` not found in the edit of \(file)")
        }
        return at
    }

    func append(_ file: String, _ text: String) throws -> String {
        let before = try dir.read(file)
        let sep = before.hasSuffix("\n") ? "" : "\n"
        try dir.write(file, before + sep + text)
        return before + sep
    }

    /// Line and column (1-based, scalars) of the first `marker` at or after character offset `from`.
    static func position(of marker: String, in text: String, from: Int) -> (line: Int, column: Int)? {
        let start = text.index(text.startIndex, offsetBy: from)
        guard let r = text.range(of: marker, range: start..<text.endIndex) else { return nil }
        let before = text[..<r.lowerBound]
        let line = before.filter { $0 == "\n" }.count + 1
        let lineStart = before.lastIndex(of: "\n").map { text.index(after: $0) } ?? text.startIndex
        let column = text[lineStart..<r.lowerBound].unicodeScalars.count + 1
        return (line, column)
    }
}

// MARK: - JSON

/// Parses one output line as a JSON object (Foundation; key order is not kept).
func jsonObject(_ line: String) throws -> [String: Any] {
    let value = try JSONSerialization.jsonObject(with: Data(line.utf8), options: [.fragmentsAllowed])
    guard let object = value as? [String: Any] else { throw Failure("not a JSON object: \(line.prefix(300))") }
    return object
}

/// The keys of the JSON object under `key` at the top level of `line`, in the
/// order written (Foundation's parser does not keep order). Only for objects
/// whose values are scalars, arrays of scalars or small objects, as `answers` is.
func orderedKeys(of key: String, in line: String) -> [String]? {
    guard let r = line.range(of: "\"\(key)\":{") else { return nil }
    var keys: [String] = []
    var depth = 1
    var i = r.upperBound
    var inString = false
    var escaped = false
    var current = ""
    var expectingKey = true
    while i < line.endIndex, depth > 0 {
        let c = line[i]
        if inString {
            if escaped {
                escaped = false
                current.append(c)
            } else if c == "\\" {
                escaped = true
            } else if c == "\"" {
                inString = false
                if depth == 1 && expectingKey {
                    keys.append(current)
                    expectingKey = false
                }
            } else {
                current.append(c)
            }
        } else {
            switch c {
            case "\"":
                inString = true
                current = ""
            case "{", "[": depth += 1
            case "}", "]": depth -= 1
            case ",": if depth == 1 { expectingKey = true }
            default: break
            }
        }
        i = line.index(after: i)
    }
    return keys
}

// MARK: - Tickets

/// A domestic equipment repair ticket with every field given; `id` chosen by the caller.
func ticket(_ id: String, market: String = "domestic", extra: String = "") -> String {
    """
    {"id":"\(id)","market":"\(market)","product":"equipment","opened_at":"2025-08-14T09:30:00+08:00",\
    "unit":{"installed_on":"2025-06-01","install_count":1},\
    "customer":{"units_held":12,"largest_single_purchase":3,"maintenance_visits_used":0,"installs_received":1},\
    "request":{"kind":"repair","onsite":true,"parts_replaced":true},\
    "fault":{"cause":"manufacturing","remote_resolvable":false}\(extra)}
    """
}

let newline = UInt8(ascii: "\n")
