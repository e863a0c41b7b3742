import Testing

import CEL
@testable import VerdictCompiler
@testable import VerdictModel
@testable import VerdictRuntime

/// The shipped policies plus a second version of `export` in force from
/// 2026-07-01 with an 18-month warranty.
func withExportVersion(_ extra: String = "", from: String? = "2026-07-01", version: String? = "2026.2") throws
    -> [(path: String, bytes: [UInt8])]
{
    let export = String(decoding: try Repo.read("policies/export.yaml"), as: UTF8.self)
    var v2 = export.replacingOccurrences(of: "version: \"2026.1\"\n", with: "")
    var head = ""
    if let version { head += "version: \"\(version)\"\n" }
    if let from { head += "effective_from: \(from)\n" }
    v2 = v2.replacingOccurrences(of: "policy: export\n", with: "policy: export\n" + head + extra)
    v2 = v2.replacingOccurrences(
        of: "parameters:\n", with: "parameters:\n  warranty_months:\n    value: 18\n    clause: \"7.2.6\"\n")
    return try Repo.policyFiles() + [("policies/export-2026-07.yaml", Array(v2.utf8))]
}

func ticketOpened(_ at: String, market: String = "export") -> String {
    "{\"id\":\"T\",\"market\":\"\(market)\",\"opened_at\":\"\(at)\",\"unit\":{\"installed_on\":\"2025-06-01\",\"install_count\":1}}"
}

@Suite struct VersionTests {
    @Test func theVersionInForceOnTheTicketDateAnswers() throws {
        let set = try PolicySet.load(files: try withExportVersion())
        #expect(set.policies.map(\.identity.description) == ["domestic 2026.1", "export 2026.1", "export 2026.2", "material 2026.1"])
        let out = try answer(
            [ticketOpened("2026-06-30T23:59:00+08:00"), ticketOpened("2026-07-01T00:00:00+08:00"),
             // The same instant, but still 30 June in its own offset: the old version.
             ticketOpened("2026-06-30T17:00:00-07:00")],
            with: set, ask: ["in_warranty", "warranty_last_day"])
        #expect(out[0].contains("\"warranty_last_day\":\"2026-05-31\"") && out[0].contains("\"version\":\"2026.1\""), "\(out[0])")
        #expect(out[1].contains("\"warranty_last_day\":\"2026-11-30\"") && out[1].contains("\"version\":\"2026.2\""), "\(out[1])")
        #expect(out[2].contains("\"version\":\"2026.1\""), "\(out[2])")
        // Domestic tickets are not dated: any date.
        #expect(try answer([ticketOpened("1999-01-01T00:00:00Z", market: "domestic")], with: set)[0].contains("\"version\":\"2026.1\""))
    }

    @Test func aTicketBeforeEveryVersionIsAnErrorLine() throws {
        let files = try withExportVersion().map { f -> (path: String, bytes: [UInt8]) in
            guard f.path.hasSuffix("/export.yaml") else { return f }
            let text = String(decoding: f.bytes, as: UTF8.self)
                .replacingOccurrences(of: "version: \"2026.1\"\n", with: "version: \"2026.1\"\neffective_from: 2026-01-01\n")
            return (f.path, Array(text.utf8))
        }
        let set = try PolicySet.load(files: files)
        let out = try answer(
            [ticketOpened("2025-12-31T10:00:00Z"), "{\"market\":\"export\",\"id\":\"no-date\"}", ticketOpened("2026-01-01T10:00:00Z")],
            with: set, ask: ["in_warranty"])
        #expect(out[0] == #"{"line":1,"id":"T","error":"no version of policy `export` is in force on 2025-12-31: the first (2026.1) takes effect on 2026-01-01"}"#)
        #expect(out[1] == #"{"line":2,"id":"no-date","error":"`opened_at` is missing: no version of policy `export` can be chosen"}"#)
        #expect(out[2].contains("\"version\":\"2026.1\""))
    }

    @Test func datedByNamesAnotherDateInput() throws {
        let extra = "dated_by: contract.signed_on\n"
        var files = try withExportVersion(extra)
        // The contract date is an input of the base; the older version is dated by it too.
        files = files.map { f in
            let text = String(decoding: f.bytes, as: UTF8.self)
            if f.path.hasSuffix("base.yaml") {
                return (f.path, Array(text.replacingOccurrences(of: "inputs:\n", with: "inputs:\n  contract:\n    type: object\n    optional: true\n    fields:\n      signed_on: {type: date}\n").utf8))
            }
            if f.path.hasSuffix("/export.yaml") {
                return (f.path, Array(text.replacingOccurrences(of: "version: \"2026.1\"\n", with: "version: \"2026.1\"\ndated_by: contract.signed_on\n").utf8))
            }
            return f
        }
        let set = try PolicySet.load(files: files)
        let t = { (signed: String) in
            "{\"market\":\"export\",\"opened_at\":\"2026-08-01T10:00:00Z\",\"contract\":{\"signed_on\":\"\(signed)\"},\"unit\":{\"installed_on\":\"2025-06-01\"}}"
        }
        let out = try answer([t("2026-06-30"), t("2026-07-01")], with: set, ask: ["warranty_last_day"])
        #expect(out[0].contains("\"version\":\"2026.1\""), "\(out[0])")
        #expect(out[1].contains("\"version\":\"2026.2\""), "\(out[1])")
        #expect(set.snapshots.first { $0.version == "2026.2" }?.datedBy == "contract.signed_on")
    }

    static let mistakes: [(String, @Sendable () throws -> [(path: String, bytes: [UInt8])], DiagnosticCode)] = [
        ("same day twice", { try withExportVersion(from: "2026-07-01") + [("policies/export-b.yaml", Array(String(decoding: try withExportVersion().last?.bytes ?? [], as: UTF8.self).replacingOccurrences(of: "version: \"2026.2\"", with: "version: \"2026.3\"").utf8))] }, .ambiguousVersions),
        ("two undated", { try withExportVersion(from: nil) }, .duplicatePolicy),
        ("a version without a name", { try withExportVersion(version: nil) }, .ambiguousVersions),
        ("two versions with one name", { try withExportVersion(version: "2026.1") }, .ambiguousVersions),
        ("extending a versioned policy", {
            try withExportVersion() + [("policies/eu.yaml", Array("verdict: 1\npolicy: eu\nextends: export\napplies_to: {market: eu}\n".utf8))]
        }, .versionedBase),
        ("dated by an unknown input", { try withExportVersion("dated_by: contract_date\n") }, .datedBy),
        ("dated by an int", { try withExportVersion("dated_by: unit.install_count\n") }, .datedBy),
        ("a bad date", { try withExportVersion(from: "2026-13-01") }, .invalidValue),
    ]

    @Test(arguments: mistakes.indices)
    func versioningMistakesAreReported(_ i: Int) throws {
        let (name, files, code) = Self.mistakes[i]
        let d = diagnostics(try files())
        #expect(d.contains { $0.code == code }, "\(name): \(d.map { "\($0.code) \($0.message)" })")
    }

    /// Two differently named policies for the same tickets are disjoint only by their dates.
    @Test func overlapAcrossNamesCountsTheDates() throws {
        let files = try withExportVersion().map { f -> (path: String, bytes: [UInt8]) in
            guard f.path.hasSuffix("export-2026-07.yaml") else { return f }
            return (f.path, Array(String(decoding: f.bytes, as: UTF8.self).replacingOccurrences(of: "policy: export\n", with: "policy: export_new\n").utf8))
        }
        let d = diagnostics(files)
        #expect(d.contains { $0.code == .overlappingPolicies && $0.message.contains("opened_at on or after 2026-07-01") }, "\(d.map(\.message))")
    }

    @Test func versionsAreInTheDigestAndRecomputed() throws {
        let files = try withExportVersion()
        let set = try PolicySet.load(files: files)
        let exports = set.policies.filter { $0.name == "export" }
        #expect(exports.count == 2 && exports[0].digest != exports[1].digest)
        guard let python = try DigestRecomputeTests.pythonDigestLines(files) else { return }
        #expect(python == set.policies.map { "\($0.name) \($0.digest)" })
    }
}
