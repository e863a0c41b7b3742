import VerdictJSONWriter
import VerdictModel

/// How `verdict test` prints its results.
public enum TestFormat: String, Sendable, CaseIterable {
    case text, json, junit
}

/// The results of a test run, rendered for people or for CI systems.
public struct TestReport: Sendable {
    public var results: [CaseResult]

    public init(results: [CaseResult]) { self.results = results }

    public var passed: Int { results.filter(\.passed).count }
    public var failed: Int { results.count - passed }

    public func render(_ format: TestFormat) -> String {
        switch format {
        case .text: text()
        case .json: json()
        case .junit: junit()
        }
    }

    func text() -> String {
        var out = ""
        var file = ""
        for r in results {
            if r.file != file {
                file = r.file
                out += file + "\n"
            }
            guard !r.passed else {
                out += "  ok    \(r.name)\n"
                continue
            }
            out += "  FAIL  \(r.name)   (\(r.at.file):\(r.at.line))\n"
            for f in r.failures { out += "        \(f.decision): expected \(f.expected), got \(f.actual)\n" }
            if let e = r.explanation {
                out += "        why:\n"
                for line in e.split(separator: "\n").dropFirst() { out += "          \(line)\n" }
            }
        }
        out += "\(passed) passed, \(failed) failed\n"
        return out
    }

    func json() -> String {
        var w = JSONWriter(capacity: 4096)
        w.raw("{\"cases\":[")
        for (i, r) in results.enumerated() {
            if i > 0 { w.raw(",") }
            w.raw("{\"file\":")
            w.string(r.file)
            w.raw(",\"line\":")
            w.int(Int64(r.at.line))
            w.raw(",\"name\":")
            w.string(r.name)
            w.raw(",\"passed\":")
            w.bool(r.passed)
            w.raw(",\"failures\":[")
            for (j, f) in r.failures.enumerated() {
                if j > 0 { w.raw(",") }
                w.raw("{\"decision\":")
                w.string(f.decision)
                w.raw(",\"expected\":")
                w.string(f.expected)
                w.raw(",\"actual\":")
                w.string(f.actual)
                w.raw("}")
            }
            w.raw("]")
            if let e = r.explanation {
                w.raw(",\"explanation\":")
                w.string(e)
            }
            w.raw("}")
        }
        w.raw("],\"passed\":")
        w.int(Int64(passed))
        w.raw(",\"failed\":")
        w.int(Int64(failed))
        w.raw("}\n")
        return String(decoding: w.bytes, as: UTF8.self)
    }

    /// JUnit XML: one testsuite per test file.
    func junit() -> String {
        var files: [String] = []
        for r in results where !files.contains(r.file) { files.append(r.file) }
        var out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        out += "<testsuites name=\"verdict test\" tests=\"\(results.count)\" failures=\"\(failed)\">\n"
        for file in files {
            let cases = results.filter { $0.file == file }
            let failures = cases.filter { !$0.passed }.count
            out += "  <testsuite name=\"\(xml(file))\" tests=\"\(cases.count)\" failures=\"\(failures)\">\n"
            for r in cases {
                out += "    <testcase name=\"\(xml(r.name))\" classname=\"\(xml(file))\" file=\"\(xml(r.at.file))\" line=\"\(r.at.line)\""
                guard !r.passed else {
                    out += "/>\n"
                    continue
                }
                let message = r.failures.map { "\($0.decision): expected \($0.expected), got \($0.actual)" }.joined(separator: "; ")
                out += ">\n      <failure message=\"\(xml(message))\">\(xml(message + "\n" + (r.explanation ?? "")))</failure>\n"
                out += "    </testcase>\n"
            }
            out += "  </testsuite>\n"
        }
        return out + "</testsuites>\n"
    }

    func xml(_ s: String) -> String {
        var out = ""
        for ch in s.unicodeScalars {
            switch ch {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&apos;"
            default:
                // XML 1.0 has no place for most control characters.
                if ch.value < 0x20, ch != "\n", ch != "\t", ch != "\r" { continue }
                out.unicodeScalars.append(ch)
            }
        }
        return out
    }
}
