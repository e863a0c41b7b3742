import Foundation
import Testing
import VerdictJSON

import CEL
@testable import VerdictCompiler
@testable import VerdictModel
@testable import VerdictOutput
@testable import VerdictRuntime

/// Paths inside the repository, found from this file's location.
enum Repo {
    static let root: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.path
    }()
    static var policies: String { root + "/policies" }
    static func path(_ relative: String) -> String { root + "/" + relative }

    static func read(_ relative: String) throws -> [UInt8] {
        guard let data = FileManager.default.contents(atPath: path(relative)) else {
            throw TestFailure("cannot read \(relative)")
        }
        return [UInt8](data)
    }

    static func lines(_ relative: String) throws -> [String] {
        String(decoding: try read(relative), as: UTF8.self)
            .split(separator: "\n", omittingEmptySubsequences: true).map(String.init)
    }

    /// The shipped policy files, as (path, bytes), for tests that edit them in memory.
    static func policyFiles() throws -> [(path: String, bytes: [UInt8])] {
        try ["base.yaml", "equipment.yaml", "domestic.yaml", "export.yaml", "material.yaml"].map {
            ("policies/" + $0, try read("policies/" + $0))
        }
    }
}

struct TestFailure: Error, CustomStringConvertible {
    var description: String
    init(_ d: String) { description = d }
}

/// Runs ticket lines through a processor; returns the output lines.
func answer(_ lines: [String], with set: PolicySet, ask: [String] = [], explain: Bool = false) throws -> [String] {
    try answer(bytes: lines.map { Array($0.utf8) }, with: set, ask: ask, explain: explain)
}

/// The same for lines as raw bytes (invalid UTF-8 included).
func answer(bytes lines: [[UInt8]], with set: PolicySet, ask: [String] = [], explain: Bool = false) throws -> [String] {
    let sink = TicketSink(policies: set, plan: try AskPlan(policies: set.compiled, ask: ask), explain: explain)
    var input: [UInt8] = []
    for line in lines { input += line + [UInt8(ascii: "\n")] }
    var output: [UInt8] = []
    _ = TicketStream().run(sink, read: reader(input), write: { output += $0; return true })
    return String(decoding: output, as: UTF8.self).split(separator: "\n").map(String.init)
}

/// A `read` function for a stream that hands out `input`, as much per call as fits.
func reader(_ input: [UInt8]) -> (UnsafeMutableRawBufferPointer) -> Int {
    var offset = 0
    return { buffer in
        let n = min(buffer.count, input.count - offset)
        for i in 0..<n { buffer[i] = input[offset + i] }
        offset += n
        return n
    }
}

func parseJSON(_ s: String) throws -> JSONValue {
    switch JSONReader.parse(Array(s.utf8)) {
    case .success(let v): return v
    case .failure(let e): throw TestFailure("invalid JSON (\(e.message)): \(s)")
    }
}

/// Objects with keys sorted, so that comparisons ignore key order.
func normalized(_ v: JSONValue) -> JSONValue {
    switch v {
    case .object(let o):
        var copy = o
        copy.entries = o.entries.map { ($0.key, normalized($0.value)) }.sorted { $0.key < $1.key }
        return .object(copy)
    case .array(let items): return .array(items.map(normalized))
    default: return v
    }
}

func object(_ v: JSONValue?) -> JSONObject? {
    if case .object(let o)? = v { return o }
    return nil
}

func loadShipped() throws -> PolicySet {
    do {
        return try PolicySet.load(directory: Repo.policies)
    } catch {
        throw TestFailure(error.diagnostics.map { "\($0.file):\($0.line):\($0.column): \($0.message)" }.joined(separator: "\n"))
    }
}

/// Loads in-memory files and returns the diagnostics (empty when they load).
func diagnostics(_ files: [(path: String, bytes: [UInt8])]) -> [PolicyDiagnostic] {
    do {
        _ = try PolicySet.load(files: files)
        return []
    } catch {
        return error.diagnostics
    }
}
