import CEL
import Testing
@testable import VerdictAudit
import VerdictJSON

/// The pieces the search stands on: strict values, chains, CEL's operators on values.
@Suite struct ValueTests {
    @Test func strictValuesKeepWhatCELEqualityMerges() throws {
        #expect(StrictValue(.int(1)) != StrictValue(.double(1)))
        let a = try #require(CELTimestamp.parse("2026-03-14T09:30:00+08:00"))
        let b = try #require(CELTimestamp.parse("2026-03-14T01:30:00Z"))
        #expect(CELValue.timestamp(a) == .timestamp(b), "one instant")
        #expect(StrictValue(.timestamp(a)) != StrictValue(.timestamp(b)), "two offsets: date() differs")
        #expect(StrictValue(.string("e\u{301}")) != StrictValue(.string("\u{e9}")), "code points, not canonical equivalence")
        // Every error is one value: both sides undetermined agree, whatever the reasons.
        #expect(StrictValue(.error(CELError(.missing, "a is missing"))) == StrictValue(.error(CELError(.range, "b"))))
    }

    @Test func chainsKeepOneNormalForm() {
        #expect(appending(.addDays(-1), to: [.addMonths(12), .addDays(1)], leafIsDate: true) == [.addMonths(12)])
        #expect(appending(.addMonths(6), to: [.addMonths(6)], leafIsDate: true) == [.addMonths(6), .addMonths(6)], "months never merge")
        #expect(appending(.toDate, to: [], leafIsDate: true) == [], "date() of a date is the date")
        #expect(appending(.toDate, to: [], leafIsDate: false) == [.toDate])
        #expect(appending(.addHours(0), to: [.toDate], leafIsDate: false) == [.toDate])
    }

    @Test func operatorsAreCELs() throws {
        let ops = ConcreteOps()
        let missing = CELValue.error(CELError(.missing, "x is missing"))
        #expect(ops.apply(function: "_<_", hasTarget: false, [.int(1), .double(1.5)]) == .bool(true))
        #expect(ops.apply(function: "_&&_", hasTarget: false, [.bool(false), missing]) == .bool(false))
        #expect(ops.apply(function: "_||_", hasTarget: false, [missing, .bool(true)]) == .bool(true))
        #expect(Logic.and(missing, .bool(false)) == .bool(false))
        #expect(Logic.or(.bool(false), missing).isError)
        let jan31 = CELValue.date(try #require(CELDate(year: 2025, month: 1, day: 31)))
        let feb28 = CELValue.date(try #require(CELDate(year: 2025, month: 2, day: 28)))
        #expect(ops.apply([.addMonths(1)], to: jan31) == feb28, "clamped")
        #expect(ops.apply(function: "size", hasTarget: false, [.list([.string("a")])]) == .int(1))
        #expect(ops.apply(function: "matches", hasTarget: true, [.string("AB1"), .string("^AB")]) == .bool(true))
        #expect(ops.apply(function: "@in", hasTarget: false, [.string("a"), .list([.string("a")])]) == .bool(true))
    }

    @Test func regexPrefixesForSampling() {
        #expect(Printer.plainPrefix(ofRegex: "^AB[0-9]+$") == "AB")
        #expect(Printer.plainPrefix(ofRegex: "^X\\.Y") == "X.Y")
        #expect(Printer.plainPrefix(ofRegex: ".*") == "")
    }

    @Test func timestampsForADay() throws {
        let day = try #require(CELDate(year: 2026, month: 3, day: 14)).daysSinceEpoch
        for style in Stamps.styles.indices {
            guard case .timestamp(let t) = Stamps.make(day, style: style) else {
                Issue.record("no timestamp")
                continue
            }
            #expect(t.date.daysSinceEpoch == day, "the day in its own offset")
        }
    }
}
