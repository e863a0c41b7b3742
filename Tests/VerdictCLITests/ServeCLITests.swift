import Foundation
import Testing

/// `verdict serve` runs `verdict-server` from its own folder; the server's
/// behaviour is tested in Tests/VerdictServerTests.
@Suite("verdict serve")
struct ServeCLITests {
    @Test("options go to verdict-server, whose usage errors exit 2")
    func runsTheServer() throws {
        let r = try verdict(["serve", "--listen", "nowhere"])
        #expect(r.status == 2, "\(r)")
        #expect(r.err.contains("--listen wants HOST:PORT"), "\(r)")
    }

    @Test("without verdict-server: exit 2 and how to build it")
    func missingServer() throws {
        let r = try verdict(["serve"], environment: ["VERDICT_SERVER": "/nonexistent/verdict-server"])
        #expect(r.status == 2)
        #expect(r.err.contains("there is none at `/nonexistent/verdict-server`"))
        #expect(r.err.contains("swift build --product verdict-server"))
        #expect(r.stdout.isEmpty)
    }
}
