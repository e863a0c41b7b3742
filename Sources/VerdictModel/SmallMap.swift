/// A map of a handful of string keys, kept as pairs in the order they were
/// set and found by scanning: for the many small mappings of loading (a
/// policy's keys, a digest's objects), where hashing every key cost more
/// than comparing a few. Built from a long sequence, it indexes itself.
public struct SmallMap<Value>: ExpressibleByDictionaryLiteral {
    public private(set) var pairs: [(key: String, value: Value)] = []
    /// Key → position, once there are too many pairs to scan.
    private var index: [String: Int]?
    static var scanLimit: Int { 16 }

    public init() {}

    public init(dictionaryLiteral elements: (String, Value)...) {
        for (key, value) in elements { self[key] = value }
    }

    /// Keys repeated in `elements` keep the value `combine` chooses.
    public init<S: Sequence>(_ elements: S, uniquingKeysWith combine: (Value, Value) -> Value)
    where S.Element == (String, Value) {
        for (key, value) in elements {
            if let at = position(of: key) {
                pairs[at].value = combine(pairs[at].value, value)
            } else {
                append(key, value)
            }
        }
    }

    private func position(of key: String) -> Int? {
        if let index { return index[key] }
        return pairs.firstIndex { $0.key == key }
    }

    private mutating func append(_ key: String, _ value: Value) {
        pairs.append((key, value))
        if index != nil {
            index?[key] = pairs.count - 1
        } else if pairs.count > Self.scanLimit {
            index = Dictionary(pairs.indices.map { (pairs[$0].key, $0) }) { a, _ in a }
        }
    }

    public subscript(key: String) -> Value? {
        get { position(of: key).map { pairs[$0].value } }
        set {
            switch (position(of: key), newValue) {
            case (let at?, let value?): pairs[at].value = value
            case (let at?, nil):
                pairs.remove(at: at)
                if index != nil { index = Dictionary(pairs.indices.map { (pairs[$0].key, $0) }) { a, _ in a } }
            case (nil, let value?): append(key, value)
            case (nil, nil): break
            }
        }
    }
}

extension SmallMap: Sendable where Value: Sendable {}
