import Foundation
import Testing

@testable import CEL

/// Runs the CEL conformance subset in `shared/conformance/cel/cases.json`,
/// beside the repository, not inside it (`CEL_CONFORMANCE_CASES` names
/// another place). Where the cases are absent the test skips with a message,
/// unless `VERDICT_REQUIRE_CONFORMANCE=1` (set by `.ci/run`), when it fails.
enum Conformance {
    static let casesURL: URL = {
        if let path = ProcessInfo.processInfo.environment["CEL_CONFORMANCE_CASES"], !path.isEmpty {
            return URL(fileURLWithPath: path)
        }
        return URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent()  // CELTests
            .deletingLastPathComponent()  // Tests
            .deletingLastPathComponent()  // repo
            .deletingLastPathComponent()  // root
            .appendingPathComponent("shared/conformance/cel/cases.json")
    }()

    static var required: Bool { ProcessInfo.processInfo.environment["VERDICT_REQUIRE_CONFORMANCE"] == "1" }

    struct Case {
        var name: String
        var expr: String
        var bindings: [(String, CELValue)]
        var expected: CELValue?  // nil = error expected
        var checked: Bool
    }

    static func loadCases() throws -> [Case]? {
        guard FileManager.default.fileExists(atPath: casesURL.path) else { return nil }
        let data = try Data(contentsOf: casesURL)
        guard let array = try JSONSerialization.jsonObject(with: data) as? [[String: Any]] else { return [] }
        return array.map { c in
            let file = (c["file"] as? String ?? "").replacingOccurrences(of: ".textproto", with: "")
            let name = "\(file)/\(c["section"] as? String ?? "")/\(c["name"] as? String ?? "")"
            var bindings: [(String, CELValue)] = []
            for (k, v) in (c["bindings"] as? [String: Any] ?? [:]).sorted(by: { $0.key < $1.key }) {
                bindings.append((k, value(v)))
            }
            let expect = c["expect"] as? [String: Any] ?? [:]
            let expected = expect["value"].map(value)
            let flags = c["flags"] as? [String] ?? []
            return Case(
                name: name, expr: c["expr"] as? String ?? "", bindings: bindings, expected: expected,
                checked: !flags.contains("disable_check"))
        }
    }

    static func value(_ any: Any) -> CELValue {
        guard let d = any as? [String: Any], let (k, v) = d.first else { return .error(CELError(.other, "bad json")) }
        switch k {
        case "int": return .int(Int64(v as? String ?? "") ?? 0)
        case "double":
            if let s = v as? String {
                switch s {
                case "NaN": return .double(.nan)
                case "Infinity": return .double(.infinity)
                case "-Infinity": return .double(-.infinity)
                default: return .double(Double(s) ?? 0)
                }
            }
            return .double((v as? NSNumber)?.doubleValue ?? 0)
        case "string": return .string(v as? String ?? "")
        case "bool": return .bool((v as? NSNumber)?.boolValue ?? false)
        case "null": return .null
        case "list": return .list((v as? [Any] ?? []).map(value))
        case "map":
            let pairs = (v as? [[Any]] ?? []).map { (value($0[0]), value($0[1])) }
            do {
                return .map(try CELMap(entries: pairs))
            } catch {
                return .error(error)
            }
        default: return .error(CELError(.other, "unknown json value kind \(k)"))
        }
    }

    static func inferType(_ v: CELValue) -> CELType {
        switch v {
        case .int: return .int
        case .double: return .double
        case .string: return .string
        case .bool: return .bool
        case .null: return .null
        case .date: return .date
        case .timestamp: return .timestamp
        case .list(let items):
            guard let f = items.first.map(inferType) else { return .list(.dyn) }
            return .list(items.allSatisfy { inferType($0) == f } ? f : .dyn)
        case .map(let m):
            guard let k0 = m.keys.first.map(inferType), let v0 = m.values.first.map(inferType) else {
                return .map(.dyn, .dyn)
            }
            let k = m.keys.allSatisfy { inferType($0) == k0 } ? k0 : .dyn
            let vt = m.values.allSatisfy { inferType($0) == v0 } ? v0 : .dyn
            return .map(k, vt)
        case .error: return .dyn
        }
    }

    /// Equality for the check: maps ignore order, NaN equals NaN, 0.0 equals -0.0; types must match.
    static func same(_ a: CELValue, _ b: CELValue) -> Bool {
        switch (a, b) {
        case (.double(let x), .double(let y)): return (x.isNaN && y.isNaN) || x == y
        case (.string(let x), .string(let y)): return Array(x.unicodeScalars) == Array(y.unicodeScalars)
        case (.list(let x), .list(let y)):
            return x.count == y.count && zip(x, y).allSatisfy { same($0, $1) }
        case (.map(let x), .map(let y)):
            guard x.count == y.count else { return false }
            for (k, v) in x.entries {
                guard let w = y[k], same(v, w) else { return false }
            }
            return true
        default: return a == b
        }
    }

    /// nil on success, otherwise a description of the failure.
    static func run(_ c: Case) -> String? {
        var env = CELEnvironment()
        var values: [CELValue] = []
        for (name, v) in c.bindings {
            let slot = env.declare(variable: name, type: inferType(v))
            if slot >= values.count { values.append(v) } else { values[slot] = v }
        }
        let result = c.checked ? env.compile(c.expr) : env.compileUnchecked(c.expr)
        switch result {
        case .failure(let d):
            if c.expected == nil { return nil }
            return "compile failed: \(d)"
        case .success(let program):
            let activation = CELArrayActivation(values: values)
            let got = program.evaluate(activation)
            // The traced plan of the same expression must give the same value.
            let traced = program.traced().evaluate(activation, tracer: NodeCounter())
            guard same(traced, got) || (traced.isError && got.isError) else {
                return "traced plan gave \(traced.celLiteral), untraced \(got.celLiteral)"
            }
            if let exp = c.expected {
                return same(got, exp) ? nil : "got \(got.celLiteral), expected \(exp.celLiteral)"
            }
            return got.isError ? nil : "got \(got.celLiteral), expected an error"
        }
    }
}

@Suite struct ConformanceTests {
    @Test func conformanceSuite() throws {
        guard let cases = try Conformance.loadCases() else {
            let message = "CEL conformance cases not found at \(Conformance.casesURL.path)"
            if Conformance.required {
                Issue.record("\(message), and VERDICT_REQUIRE_CONFORMANCE=1 requires them")
            } else {
                print("\(message); skipping (set CEL_CONFORMANCE_CASES to run them).")
            }
            return
        }
        var failures: [String] = []
        for c in cases {
            if let f = Conformance.run(c) {
                failures.append("\(c.name) [\(c.expr)]: \(f)")
            }
        }
        let passed = cases.count - failures.count
        print("CEL conformance: \(passed)/\(cases.count) passed")
        #expect(failures.isEmpty, "\(failures.count) failing cases:\n\(failures.joined(separator: "\n"))")
        #expect(passed == cases.count)
        #expect(cases.count == 596)
    }
}

/// Counts node events, so traced plans run with a tracer attached.
final class NodeCounter: CELTracer {
    var count = 0
    func celNode(_ id: Int, value: CELValue) { count += 1 }
}
