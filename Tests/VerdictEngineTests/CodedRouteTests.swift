import Testing
import VerdictJSON

@testable import VerdictRuntime

/// `Router.CodedRoutes` (routing a scanned ticket by the codes of its key
/// values) chooses what `Router.route` chooses for every combination of
/// values each key can take, missing included; it stands aside for dated
/// versions.
@Suite struct CodedRouteTests {
    static func check(_ router: Router) throws {
        let coded = try #require(router.coded)
        // Every code of every key, and `missing`.
        let choices = coded.values.map { Array($0.indices) + [Router.CodedRoutes.missing] }
        var combination = [Int](repeating: 0, count: choices.count)
        var checked = 0
        while true {
            let codes = zip(choices, combination).map { $0[$1] }
            var entries: [(key: String, value: JSONValue)] = []
            for (k, code) in codes.enumerated() where code != Router.CodedRoutes.missing {
                entries.append((router.keys[k].name, .string(String(decoding: coded.values[k][code], as: UTF8.self))))
            }
            let ticket = JSONObject(entries)
            var scratch = router.makeScratch()
            let general: Int? = switch router.route(ticket, scratch: &scratch) {
            case .success(let i): i
            case .failure: nil
            }
            #expect(codes.withUnsafeBufferPointer { coded.route($0) } == general, "\(codes)")
            checked += 1
            // The next combination, like an odometer.
            var k = 0
            while k < combination.count {
                combination[k] += 1
                if combination[k] < choices[k].count { break }
                combination[k] = 0
                k += 1
            }
            if k == combination.count { break }
        }
        #expect(checked > 1)
    }

    @Test func theShippedPoliciesRouteTheSameByCodes() throws {
        try Self.check(try loadShipped().compiled.router)
    }

    @Test func defaultsAndKeysOnlySomePoliciesUse() throws {
        let router = Router(routes: [
            Route(name: "a", version: nil, selectors: [
                PolicySelector(key: "market", values: ["domestic"], defaultValue: "domestic"),
                PolicySelector(key: "product", values: ["equipment", "parts"], defaultValue: nil),
            ], window: nil),
            Route(name: "b", version: nil, selectors: [
                PolicySelector(key: "market", values: ["export", "domestic"], defaultValue: nil),
                PolicySelector(key: "product", values: ["material"], defaultValue: "material"),
            ], window: nil),
            Route(name: "c", version: nil, selectors: [
                PolicySelector(key: "channel", values: ["agent"], defaultValue: nil)
            ], window: nil),
        ].map { $0 })
        try Self.check(router)
    }

    @Test func datedVersionsAreLeftToTheGeneralRoute() {
        let window = Router.Window(input: "opened_at", inputIsTimestamp: true, from: nil, until: nil)
        let router = Router(routes: [
            Router.Route(name: "a", version: "1", selectors: [PolicySelector(key: "market", values: ["x"], defaultValue: nil)], window: window)
        ])
        #expect(router.coded == nil)
    }
}

private typealias Route = Router.Route
