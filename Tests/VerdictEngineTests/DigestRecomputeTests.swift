import Foundation
import Testing

@testable import VerdictCompiler

/// An auditor recomputes every digest from the files with a short script
/// (Tests/Golden/digest.py, written from docs/digest.md alone), independently
/// of the Swift code: for the shipped policies and for every reformatting and
/// change the snapshot tests make.
@Suite struct DigestRecomputeTests {
    /// `name sha256:…` by name from the Python script, or nil (with the reason) when it cannot run here.
    static func pythonDigests(_ files: [(path: String, bytes: [UInt8])]) throws -> [String: String]? {
        guard let lines = try pythonDigestLines(files) else { return nil }
        var out: [String: String] = [:]
        for line in lines {
            let parts = line.split(separator: " ")
            if parts.count == 2 { out[String(parts[0])] = String(parts[1]) }
        }
        return out
    }

    /// The script's `name sha256:…` lines, in its order (by name, then by the day a version takes effect).
    static func pythonDigestLines(_ files: [(path: String, bytes: [UInt8])]) throws -> [String]? {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("verdict-digest-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        for f in files {
            try Data(f.bytes).write(to: dir.appendingPathComponent(URL(fileURLWithPath: f.path).lastPathComponent))
        }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["python3", Repo.path("Tests/Golden/digest.py"), dir.path]
        let out = Pipe()
        let err = Pipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        let errors = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        if p.terminationStatus != 0 {
            if errors.contains("No module named 'yaml'") || errors.contains("No such file") {
                if ProcessInfo.processInfo.environment["VERDICT_REQUIRE_CONFORMANCE"] == "1" {
                    throw TestFailure("digest.py cannot run: \(errors)")
                }
                print("skipping: python3 with PyYAML is needed for digest.py (\(errors))")
                return nil
            }
            throw TestFailure("digest.py failed: \(errors)")
        }
        return String(decoding: data, as: UTF8.self).split(separator: "\n").map(String.init)
    }

    @Test func shippedDigestsRecomputeFromTheFiles() throws {
        let files = try Repo.policyFiles()
        guard let python = try Self.pythonDigests(files) else { return }
        #expect(python == (try digests(files)))
    }

    @Test(arguments: SnapshotTests.changes.indices)
    func changedPoliciesRecompute(_ i: Int) throws {
        let (name, file, edit) = SnapshotTests.changes[i]
        let files = try shipped(editing: file, edit)
        guard let python = try Self.pythonDigests(files) else { return }
        #expect(python == (try digests(files)), "\(name)")
    }

    @Test(arguments: SnapshotTests.reformattings.indices)
    func reformattedPoliciesRecompute(_ i: Int) throws {
        let (name, file, edit) = SnapshotTests.reformattings[i]
        let files = try shipped(editing: file, edit)
        guard let python = try Self.pythonDigests(files) else { return }
        #expect(python == (try digests(files)), "\(name)")
    }
}
