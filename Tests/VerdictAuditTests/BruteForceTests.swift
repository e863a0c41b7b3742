import CEL
import Foundation
import Testing
import VerdictAudit
import VerdictCompiler
import VerdictJSON
import VerdictRuntime

/// Small policy pairs whose every class can be enumerated concretely: the
/// search's equivalence claims must survive brute force, and every difference
/// brute force finds must be reported.
@Suite struct BruteForceTests {
    // MARK: - Enums, booleans, bounded numbers, an optional object

    static let scalarInputs = """
        kind: {type: enum, values: [x, y, z]}
        flag: {type: bool}
        n: {type: int, min: 0, max: 6}
        thing:
          type: object
          optional: true
          fields:
            level: {type: int, min: 0, max: 3}
            tag: {type: string, optional: true}
            on: {type: bool, default: false}
        """

    static let scalarParameters = """
        limit: {type: int, value: 3, clause: "1", label: {zh: 限, en: limit}}
        """

    static func scalarTickets() -> [JSONObject] {
        var things: [JSONValue?] = [nil, .string("bad")]
        for t in combinations([
            ("level", [nil, int(-1), int(0), int(1), int(2), int(3), int(4)]),
            ("tag", [nil, .null, .string("a"), .string("b"), int(5)]),
            ("on", [nil, .bool(true), .bool(false)]),
        ]) {
            things.append(.object(t))
        }
        return combinations([
            ("kind", [nil, .string("x"), .string("y"), .string("z"), .string("w")]),
            ("flag", [nil, .bool(true), .bool(false), .string("no")]),
            ("n", [nil, .string("3"), int(-1), int(0), int(1), int(2), int(3), int(4), int(5), int(6), int(7)]),
            ("thing", things),
        ])
    }

    @Test func scalarPairs() throws {
        let old = smallPolicy(
            inputs: Self.scalarInputs, parameters: Self.scalarParameters,
            rules: [
                ("commuted", "bool", expr("kind == 'x' && flag")),
                ("bound", "bool", expr("n < 3")),
                ("negated", "bool", expr("!(n >= 3)")),
                ("membership", "bool", expr("kind in ['x', 'y']")),
                ("presence", "bool", expr("thing != null && thing.level > 1")),
                ("banded", "string", """
                    table:
                      rows:
                        - {when: n >= 5, then: "'high'", clause: "1"}
                        - {when: n >= 2, then: "'mid'", clause: "1"}
                      default: {then: "'low'", clause: "1"}
                    """),
                ("passthrough", "int", expr("flag ? n : 0")),
                ("passthrough_changed", "int", expr("flag ? n : 0")),
                ("parameter", "bool", expr("n < params.limit")),
                ("absorbing", "bool", expr("flag || thing.on")),
                ("optional_text", "bool", expr("thing.tag == 'a'")),
                ("listed", "list", """
                    of: string
                    items:
                      - {id: a, when: flag, clause: "1"}
                      - {id: b, when: n > 2, clause: "1"}
                    """),
                ("hit_policy", "string", """
                    table:
                      rows:
                        - {when: n >= 2, then: "'two'", clause: "1"}
                        - {when: n >= 4, then: "'four'", clause: "1"}
                      default: {then: "'none'", clause: "1"}
                    """),
                ("has_default", "bool", expr("has(thing.level) && thing.level > 1")),
            ])
        let new = smallPolicy(
            inputs: Self.scalarInputs,
            parameters: Self.scalarParameters.replacingOccurrences(of: "value: 3", with: "value: 4"),
            rules: [
                ("commuted", "bool", expr("flag && kind == 'x'")),
                ("bound", "bool", expr("n <= 3")),
                ("negated", "bool", expr("n < 3")),
                ("membership", "bool", expr("kind == 'x' || kind == 'y'")),
                ("presence", "bool", expr("has(thing.level) && thing.level > 1")),
                ("banded", "string", expr("n >= 5 ? 'high' : n >= 2 ? 'mid' : 'low'")),
                ("passthrough", "int", expr("!flag ? 0 : n")),
                ("passthrough_changed", "int", expr("flag ? n : 1")),
                ("parameter", "bool", expr("n < params.limit")),
                ("absorbing", "bool", expr("thing.on ? true : flag")),
                ("optional_text", "bool", expr("thing.tag != null && thing.tag == 'a'")),
                ("listed", "list", """
                    of: string
                    items:
                      - {id: a, when: flag, clause: "1"}
                      - {id: b, when: n >= 3, clause: "1"}
                    """),
                ("hit_policy", "string", """
                    table:
                      hit: unique
                      rows:
                        - {when: n >= 2, then: "'two'", clause: "1"}
                        - {when: n >= 4, then: "'four'", clause: "1"}
                      default: {then: "'none'", clause: "1"}
                    """),
                ("has_default", "bool", expr("thing != null && thing.level > 1")),
            ])
        let results = try checkAgainstBruteForce(
            old: old, new: new, tickets: Self.scalarTickets(),
            expected: [
                "commuted": .equivalent, "bound": .different, "negated": .equivalent, "membership": .equivalent,
                "presence": .different, "banded": .equivalent, "passthrough": .equivalent,
                "passthrough_changed": .different, "parameter": .different, "absorbing": .different,
                "optional_text": .equivalent, "listed": .equivalent, "hit_policy": .different, "has_default": .different,
            ])
        print(report(results))
    }

    // MARK: - Whole numbers compared with each other

    @Test func numbersAgainstEachOther() throws {
        let inputs = """
            held: {type: int, min: 0, max: 6}
            bought: {type: int, min: 0, max: 6}
            used: {type: int, min: 0}
            """
        let old = smallPolicy(
            inputs: inputs,
            rules: [
                ("more", "bool", expr("held > bought")),
                ("strict", "bool", expr("held > bought")),
                ("entitled", "int", """
                    table:
                      rows:
                        - {when: held >= 4, then: "2", clause: "1"}
                        - {when: held >= 2 || bought >= 3, then: "1", clause: "1"}
                      default: {then: "0", clause: "1"}
                    """),
                ("left", "bool", expr("used < (held >= 4 ? 2 : held >= 2 || bought >= 3 ? 1 : 0)")),
                ("chained", "bool", expr("used < held && held < bought")),
                ("ordered", "bool", expr("held < 4 && !(held < bought)")),
            ])
        let new = smallPolicy(
            inputs: inputs.replacingOccurrences(of: "used: {type: int, min: 0}", with: "used: {type: int, min: 0, max: 5}"),
            rules: [
                ("more", "bool", expr("!(bought >= held)")),
                ("strict", "bool", expr("held >= bought")),
                ("entitled", "int", expr("held >= 4 ? 2 : (held >= 2 || bought >= 3 ? 1 : 0)")),
                ("left", "bool", expr("used < (held >= 4 ? 2 : held >= 2 || bought >= 3 ? 1 : 0)")),
                ("chained", "bool", expr("held < bought && used < held")),
                ("ordered", "bool", expr("bought <= held && held < 4")),
            ])
        let values: [JSONValue?] = [nil, .string("x")] + (-1...7).map { int(Int64($0)) }
        let tickets = combinations([("held", values), ("bought", values), ("used", values + [int(1000)])])
        let results = try checkAgainstBruteForce(
            old: old, new: new, tickets: tickets,
            expected: [
                "more": .equivalent, "strict": .different, "entitled": .equivalent,
                // `used` above 5 is out of bounds in the new version only.
                // Three fields compared with each other: sampled, and the difference still found.
                "left": .different, "chained": .unproven, "ordered": .equivalent,
            ])
        print(report(results))
    }

    // MARK: - Dates: a ticket's date against an installation date

    static let dateInputs = """
        opened_at: {type: timestamp}
        unit:
          type: object
          optional: true
          fields:
            installed_on: {type: date}
        """

    static let dateParameters = """
        window: {type: int, value: 3, clause: "1", label: {zh: 窗, en: window}}
        """

    static func day(_ y: Int, _ m: Int, _ d: Int) -> Int64 { CELDate(year: y, month: m, day: d)?.daysSinceEpoch ?? 0 }

    /// Installation dates: every day around a leap February and a year end,
    /// and the month ends that clamp.
    static let installations: [Int64] = {
        var out = Array(day(2023, 12, 26)...day(2024, 3, 3))
        out += [
            day(2023, 2, 28), day(2023, 3, 31), day(2023, 8, 31), day(2024, 5, 31), day(2024, 8, 29), day(2024, 8, 30),
            day(2024, 8, 31), day(2024, 11, 30), day(2025, 1, 15), day(2025, 8, 31), day(2025, 12, 31),
        ]
        return out
    }()

    static func stamp(_ d: Int64, _ style: Int) -> JSONValue {
        let date = CELDate(daysSinceEpoch: d)?.description ?? "2025-01-01"
        let times = ["T00:00:00+14:00", "T12:00:00Z", "T23:59:59-12:00"]
        return .string(date + times[style % times.count])
    }

    /// Every ticket day from three days before the installation to `months`
    /// months and three days after it, for every installation date; and the
    /// fields left out or wrong.
    static func dateTickets(months: Int64) -> [JSONObject] {
        var out: [JSONObject] = []
        for (i, inst) in installations.enumerated() {
            guard let d0 = CELDate(daysSinceEpoch: inst), let end = d0.addingMonths(months)?.daysSinceEpoch else { continue }
            let unit = JSONValue.object(JSONObject([(key: "installed_on", value: .string(d0.description))]))
            for d in (inst - 3)...(end + 3) {
                out.append(JSONObject([(key: "opened_at", value: stamp(d, Int(d) + i)), (key: "unit", value: unit)]))
            }
            out.append(JSONObject([(key: "unit", value: unit)]))
        }
        for extra in [
            JSONObject([(key: "opened_at", value: stamp(day(2024, 5, 1), 1))]),
            JSONObject([(key: "opened_at", value: stamp(day(2024, 5, 1), 1)), (key: "unit", value: .string("bad"))]),
            JSONObject([(key: "opened_at", value: stamp(day(2024, 5, 1), 1)), (key: "unit", value: .object(JSONObject()))]),
            JSONObject([(key: "opened_at", value: .string("2024-05-01")), (key: "unit", value: .object(JSONObject([(key: "installed_on", value: .string("2024-02-30"))])))]),
            JSONObject(),
        ] {
            out.append(extra)
        }
        return out
    }

    @Test func windowPairs() throws {
        let old = smallPolicy(
            inputs: Self.dateInputs, parameters: Self.dateParameters,
            rules: [
                ("window", "bool", expr("date(opened_at) < unit.installed_on.addMonths(params.window)")),
                ("negated", "bool", expr("date(opened_at) < unit.installed_on.addMonths(3)")),
                ("last_day", "bool", expr("date(opened_at) < unit.installed_on.addMonths(3)")),
                ("from_install", "bool", expr("date(opened_at) < unit.installed_on.addMonths(3)")),
                ("fixed_day", "bool", expr("date(opened_at) < date('2024-03-01')")),
                ("fixed_day_moved", "bool", expr("date(opened_at) < date('2024-03-01')")),
                ("mixed", "bool", expr("date(opened_at) < unit.installed_on.addMonths(1) || date(opened_at) < date('2024-01-10')")),
                ("guarded", "bool", expr("unit != null && date(opened_at) < unit.installed_on.addMonths(2)")),
            ])
        let new = smallPolicy(
            inputs: Self.dateInputs,
            parameters: Self.dateParameters.replacingOccurrences(of: "value: 3", with: "value: 6"),
            rules: [
                ("window", "bool", expr("date(opened_at) < unit.installed_on.addMonths(params.window)")),
                ("negated", "bool", expr("!(date(opened_at) >= unit.installed_on.addMonths(3))")),
                ("last_day", "bool", expr("date(opened_at) <= unit.installed_on.addMonths(3).addDays(-1)")),
                ("from_install", "bool", expr("date(opened_at) >= unit.installed_on && date(opened_at) < unit.installed_on.addMonths(3)")),
                ("fixed_day", "bool", expr("date(opened_at) <= date('2024-02-29')")),
                ("fixed_day_moved", "bool", expr("date(opened_at) <= date('2024-03-01')")),
                ("mixed", "bool", expr("date(opened_at) < date('2024-01-10') || unit.installed_on.addMonths(1) > date(opened_at)")),
                ("guarded", "bool", expr("date(opened_at) < unit.installed_on.addMonths(2)")),
            ])
        let results = try checkAgainstBruteForce(
            old: old, new: new, tickets: Self.dateTickets(months: 6),
            expected: [
                "window": .different, "negated": .equivalent, "last_day": .equivalent, "from_install": .different,
                "fixed_day": .equivalent, "fixed_day_moved": .different, "mixed": .equivalent, "guarded": .different,
            ])
        print(report(results))
        // The window's witnesses open on the boundary days: in the 3rd to 6th month.
        let window = try #require(results.first { $0.name == "window" })
        for w in window.witnesses {
            guard case .string(let opened)? = w.ticket["opened_at"], case .object(let unit)? = w.ticket["unit"],
                case .string(let installed)? = unit["installed_on"], let i = CELDate.parse(installed),
                let t = CELTimestamp.parse(opened)
            else { continue }
            let d = t.date
            #expect(i.addingMonths(3).map { $0 <= d } == true && i.addingMonths(6).map { d < $0 } == true, "\(opened) \(installed)")
        }
    }

    @Test func clampingPairs() throws {
        let old = smallPolicy(
            inputs: Self.dateInputs,
            rules: [
                ("twice_six", "bool", expr("date(opened_at) < unit.installed_on.addMonths(12)")),
                ("days_for_month", "bool", expr("date(opened_at) < unit.installed_on.addMonths(1)")),
                ("last_day_out", "date", expr("unit.installed_on.addMonths(12).addDays(-1)")),
                ("last_day_days", "date", expr("unit.installed_on.addMonths(12).addDays(-1)")),
            ])
        let new = smallPolicy(
            inputs: Self.dateInputs,
            rules: [
                ("twice_six", "bool", expr("date(opened_at) < unit.installed_on.addMonths(6).addMonths(6)")),
                ("days_for_month", "bool", expr("date(opened_at) < unit.installed_on.addDays(30)")),
                ("last_day_out", "date", expr("unit.installed_on.addMonths(12).addDays(-1)")),
                ("last_day_days", "date", expr("unit.installed_on.addDays(364)")),
            ])
        let results = try checkAgainstBruteForce(
            old: old, new: new, tickets: Self.dateTickets(months: 13),
            expected: [
                "twice_six": .different, "days_for_month": .different, "last_day_out": .equivalent,
                "last_day_days": .different,
            ])
        print(report(results))
    }
}

extension BruteForceTests {
    /// Texts compare by code points: two spellings of "é" are two classes.
    @Test func textsByCodePoints() throws {
        let inputs = "word: {type: string}"
        let old = smallPolicy(inputs: inputs, rules: [("accent", "bool", expr("word == '\u{e9}'"))])
        let new = smallPolicy(inputs: inputs, rules: [("accent", "bool", expr("word == '\u{e9}' || word == 'e\u{301}'"))])
        let tickets = combinations([("word", [nil, .string("\u{e9}"), .string("e\u{301}"), .string("e"), int(1)])])
        try checkAgainstBruteForce(old: old, new: new, tickets: tickets, expected: ["accent": .different])
    }
}

extension BruteForceTests {
    /// Versions whose declarations differ: enum values, bounds, defaults,
    /// optional fields. The same expression then means different things.
    @Test func declarationsThatChange() throws {
        let old = smallPolicy(
            inputs: """
                kind: {type: enum, values: [x, y, z]}
                flag: {type: bool, default: false}
                n: {type: int, min: 0, max: 6}
                """,
            rules: [
                ("k", "bool", expr("kind == 'x'")), ("f", "bool", expr("flag")), ("nn", "bool", expr("n > 3")),
                ("bounded", "bool", expr("kind == 'y' && n >= 1 && n <= 6")),
                ("always", "bool", expr("kind == 'y' || true")),
            ])
        let new = smallPolicy(
            inputs: """
                kind: {type: enum, values: [x, y, w]}
                flag: {type: bool, default: true}
                n: {type: int, min: 1, max: 8}
                """,
            rules: [
                ("k", "bool", expr("kind == 'x'")), ("f", "bool", expr("flag")), ("nn", "bool", expr("n > 3")),
                ("bounded", "bool", expr("n <= 6 && kind == 'y' && n >= 1")),
                ("always", "bool", expr("true || kind == 'y'")),
            ])
        let tickets = combinations([
            ("kind", [nil, .string("x"), .string("y"), .string("z"), .string("w"), .string("q")]),
            ("flag", [nil, .bool(true), .bool(false), .string("bad")]),
            ("n", [nil, int(-1), int(0), int(1), int(3), int(4), int(6), int(7), int(8), int(9)]),
        ])
        try checkAgainstBruteForce(
            old: old, new: new, tickets: tickets,
            // `n` = 7 is out of bounds in the old version only: an error there, `7 <= 6` in the new.
            expected: ["k": .different, "f": .different, "nn": .different, "bounded": .different, "always": .equivalent])
    }

    /// A defaulted installation date compared with the ticket date.
    @Test func defaultedDates() throws {
        let old = smallPolicy(
            inputs: """
                opened_at: {type: timestamp}
                installed_on: {type: date, default: "2024-01-31"}
                """,
            rules: [
                ("window", "bool", expr("date(opened_at) < installed_on.addMonths(1)")),
                ("stable", "bool", expr("date(opened_at) >= installed_on")),
            ])
        let new = smallPolicy(
            inputs: """
                opened_at: {type: timestamp}
                installed_on: {type: date, default: "2024-02-01"}
                """,
            rules: [
                ("window", "bool", expr("date(opened_at) < installed_on.addMonths(1)")),
                ("stable", "bool", expr("!(date(opened_at) < installed_on)")),
            ])
        var tickets: [JSONObject] = []
        let installs: [JSONValue?] = [nil, .string("bad"), .string("2024-01-31"), .string("2024-02-01"), .string("2023-12-31")]
        for i in installs {
            for d in Self.day(2023, 12, 25)...Self.day(2024, 3, 5) {
                var e: [(key: String, value: JSONValue)] = [(key: "opened_at", value: Self.stamp(d, Int(d)))]
                if let i { e.append((key: "installed_on", value: i)) }
                tickets.append(JSONObject(e))
            }
            tickets.append(JSONObject(i.map { [(key: "installed_on", value: $0)] } ?? []))
        }
        let results = try checkAgainstBruteForce(
            old: old, new: new, tickets: tickets, expected: ["window": .different, "stable": .different])
        print(report(results))
        // The difference shows with the field left out: the defaults differ.
        let window = try #require(results.first { $0.name == "window" })
        #expect(window.witnesses.contains { $0.ticket["installed_on"] == nil })
    }

    /// Fractional numbers, optional texts, `has()`, timestamps as answers.
    @Test func numbersTextsAndTimes() throws {
        let inputs = """
            rate: {type: double}
            tag:
              type: object
              fields:
                code: {type: string, optional: true}
            opened_at: {type: timestamp}
            """
        let old = smallPolicy(
            inputs: inputs,
            parameters: """
                codes: {type: list, of: string, value: [a, b], clause: "1", label: {zh: 码, en: codes}}
                """,
            rules: [
                ("below", "bool", expr("rate < 2.5")), ("below_or_at", "bool", expr("rate < 2.5")),
                ("known", "bool", expr("tag.code in params.codes")), ("given", "bool", expr("has(tag.code)")),
                ("due", "timestamp", expr("opened_at.addHours(24)")), ("due_later", "timestamp", expr("opened_at.addHours(24)")),
                ("due_or_not", "timestamp", expr("rate > 1.0 ? opened_at.addHours(24) : opened_at")),
            ])
        let new = smallPolicy(
            inputs: inputs,
            parameters: """
                codes: {type: list, of: string, value: [a, b], clause: "1", label: {zh: 码, en: codes}}
                """,
            rules: [
                ("below", "bool", expr("!(rate >= 2.5)")), ("below_or_at", "bool", expr("rate <= 2.5")),
                ("known", "bool", expr("tag.code == 'a' || tag.code == 'b'")), ("given", "bool", expr("tag.code != null")),
                ("due", "timestamp", expr("opened_at.addHours(12).addHours(12)")), ("due_later", "timestamp", expr("opened_at.addHours(48)")),
                ("due_or_not", "timestamp", expr("rate <= 1.0 ? opened_at : opened_at.addHours(24)")),
            ])
        let tickets = combinations([
            ("rate", [nil, int(1), .number(JSONNumber(double: 1.5)), .number(JSONNumber(double: 2.5)), int(3), .string("x")]),
            ("tag", [nil, .string("bad")] + [nil, .null, .string("a"), .string("b"), .string("c"), int(5)].map { c in
                .object(JSONObject(c.map { [(key: "code", value: $0)] } ?? []))
            }),
            ("opened_at", [nil, .string("2025-03-01T00:30:00+09:00"), .string("2025-03-01T23:30:00-05:00"), .string("bad")]),
        ])
        try checkAgainstBruteForce(
            old: old, new: new, tickets: tickets,
            expected: [
                "below": .equivalent, "below_or_at": .different, "known": .equivalent,
                // `has()` of an optional field left out is true (the field is null, not missing).
                "given": .different, "due": .equivalent, "due_later": .different, "due_or_not": .equivalent,
            ])
    }
}
