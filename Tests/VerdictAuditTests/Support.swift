import CEL
import Foundation
import Testing
import VerdictCompiler
import VerdictJSON
import VerdictModel
import VerdictRuntime

/// Paths inside the repository, found from this file's location.
enum Repo {
    static let root: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.path
    }()

    static func text(_ relative: String) throws -> String {
        guard let data = FileManager.default.contents(atPath: root + "/" + relative) else {
            throw AuditTestFailure("cannot read \(relative)")
        }
        return String(decoding: data, as: UTF8.self)
    }

    static let policyNames = ["base.yaml", "equipment.yaml", "domestic.yaml", "export.yaml", "material.yaml"]

    /// The shipped policy files, with text replacements applied to one of them.
    static func policies(editing file: String? = nil, _ edits: [(String, String)] = []) throws -> PolicySet {
        var files: [(path: String, bytes: [UInt8])] = []
        for name in policyNames {
            var t = try text("policies/" + name)
            if name == file {
                for (old, new) in edits {
                    guard t.contains(old) else { throw AuditTestFailure("`\(old)` is not in \(name)") }
                    t = t.replacingOccurrences(of: old, with: new)
                }
            }
            files.append(("policies/" + name, Array(t.utf8)))
        }
        return try load(files)
    }
}

struct AuditTestFailure: Error, CustomStringConvertible {
    var description: String
    init(_ d: String) { description = d }
}

func load(_ files: [(path: String, bytes: [UInt8])]) throws -> PolicySet {
    do {
        return try PolicySet.load(files: files)
    } catch {
        throw AuditTestFailure(error.diagnostics.map { "\($0.file):\($0.line):\($0.column): \($0.message)" }.joined(separator: "\n"))
    }
}

/// Loads policies written inline (one file each).
func loadInline(_ texts: [String]) throws -> PolicySet {
    try load(texts.enumerated().map { ("p\($0.offset).yaml", Array($0.element.utf8)) })
}

extension PolicySet {
    func unit(_ name: String) throws -> (CompiledPolicy, PolicySnapshot) {
        guard let i = index(named: name) else { throw AuditTestFailure("no policy \(name)") }
        return (policies[i], snapshots[i])
    }
}

/// Compact JSON, for messages.
func jsonText(_ v: JSONValue) -> String {
    switch v {
    case .null: return "null"
    case .bool(let b): return b ? "true" : "false"
    case .number(let n): return n.text
    case .string(let s): return "\"" + s.replacingOccurrences(of: "\"", with: "\\\"") + "\""
    case .array(let items): return "[" + items.map(jsonText).joined(separator: ",") + "]"
    case .object(let o): return "{" + o.entries.map { jsonText(.string($0.key)) + ":" + jsonText($0.value) }.joined(separator: ",") + "}"
    }
}

func describe(_ o: DecisionOutcome) -> String {
    switch o {
    case .value(let v): return v.celLiteral
    case .undetermined(let r): return "undetermined(\(r))"
    }
}

/// Whether two outcomes differ (both undetermined is agreement).
func differ(_ a: DecisionOutcome, _ b: DecisionOutcome) -> Bool {
    switch (a, b) {
    case (.undetermined, .undetermined): return false
    case (.value(let x), .value(let y)): return x != y
    default: return true
    }
}


func int(_ i: Int64) -> JSONValue { .number(JSONNumber(int: i)) }
