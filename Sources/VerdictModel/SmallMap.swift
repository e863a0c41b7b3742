/// A map of a handful of string keys, kept as pairs in the order they were
/// set and found by scanning: for the many small mappings of loading (a
/// policy's keys, a digest's objects), where hashing every key cost more
/// than comparing a few. Built from a long sequence, it indexes itself.
@frozen
public struct SmallMap<Value>: ExpressibleByDictionaryLiteral {
    @usableFromInline
    internal var _pairs: [(key: String, value: Value)] = []
    /// Key → position, once there are too many pairs to scan.
    @usableFromInline
    internal var index: [String: Int]?
    @inlinable
    static var scanLimit: Int { 16 }

    /// The pairs in the order they were set.
    @inlinable
    public var pairs: [(key: String, value: Value)] { _pairs }

    @inlinable
    public init() {}

    @inlinable
    public init(dictionaryLiteral elements: (String, Value)...) {
        for (key, value) in elements { self[key] = value }
    }

    /// Keys repeated in `elements` keep the value `combine` chooses.
    @inlinable
    public init<S: Sequence>(_ elements: S, uniquingKeysWith combine: (Value, Value) -> Value)
    where S.Element == (String, Value) {
        for (key, value) in elements {
            if let at = position(of: key) {
                _pairs[at].value = combine(_pairs[at].value, value)
            } else {
                append(key, value)
            }
        }
    }

    @inlinable
    internal func position(of key: String) -> Int? {
        if let index { return index[key] }
        return _pairs.firstIndex { $0.key == key }
    }

    @inlinable
    internal mutating func append(_ key: String, _ value: Value) {
        _pairs.append((key, value))
        if index != nil {
            index?[key] = _pairs.count - 1
        } else if _pairs.count > Self.scanLimit {
            index = Dictionary(_pairs.indices.map { (_pairs[$0].key, $0) }) { a, _ in a }
        }
    }

    @inlinable
    public subscript(key: String) -> Value? {
        get { position(of: key).map { _pairs[$0].value } }
        set {
            switch (position(of: key), newValue) {
            case (let at?, let value?): _pairs[at].value = value
            case (let at?, nil):
                _pairs.remove(at: at)
                if index != nil { index = Dictionary(_pairs.indices.map { (_pairs[$0].key, $0) }) { a, _ in a } }
            case (nil, let value?): append(key, value)
            case (nil, nil): break
            }
        }
    }
}

extension SmallMap: Sendable where Value: Sendable {}
