import ArgumentParser
import Foundation

/// How a command prints its result.
enum OutputFormat: String, ExpressibleByArgument, CaseIterable {
    case text
    case json
}

/// Prints an `Encodable` value as one pretty-printed JSON document with sorted keys.
func printJSON<T: Encodable>(_ value: T) throws {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    let data = try encoder.encode(value)
    FileHandle.standardOutput.write(data)
    FileHandle.standardOutput.write(Data("\n".utf8))
}

/// A usage or configuration error: printed as `error: …` and exit code 2.
struct UsageError: Error, CustomStringConvertible {
    let description: String
    init(_ message: String) { description = message }
}

/// Writes `error: message` to standard error and ends with the given code.
func exitWithError(_ message: String, code: Int32) -> Never {
    FileHandle.standardError.write(Data("error: \(message)\n".utf8))
    exit(code)
}

/// A count such as 100000000, 1e8 or 2.5e9 (scientific notation is easier to read on a command line).
struct Count: ExpressibleByArgument, Sendable {
    let value: UInt64

    init(_ value: UInt64) { self.value = value }

    init?(argument: String) {
        let text = argument.replacingOccurrences(of: "_", with: "")
        if let v = UInt64(text) { value = v; return }
        guard let d = Double(text), d >= 0, d <= 1e18, d == d.rounded() else { return nil }
        value = UInt64(d)
    }

    var defaultValueDescription: String { String(value) }

    /// A count of at least 1, for options such as `--pulses`: a value that is not one says so
    /// (ArgumentParser's own message for `-1` would be "Missing value", since it reads `-1` as an
    /// option; declare the option with `parsing: .unconditional` to let this see it).
    static func positive(_ argument: String) throws -> Count {
        guard let count = Count(argument: argument), count.value >= 1 else {
            throw ValidationError("it must be a positive whole number, such as 100000000 or 1e8")
        }
        return count
    }
}

extension Count: CustomStringConvertible {
    var description: String { String(value) }
}

/// A comma-separated list of numbers, such as 0,50,100,140.
struct NumberList: ExpressibleByArgument, Sendable {
    let values: [Double]

    init(_ values: [Double]) { self.values = values }

    init?(argument: String) {
        let parts = argument.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        let numbers = parts.compactMap(Double.init)
        guard !numbers.isEmpty, numbers.count == parts.count, numbers.allSatisfy(\.isFinite) else { return nil }
        values = numbers
    }

    var defaultValueDescription: String { values.map { String($0) }.joined(separator: ",") }
}

/// Progress on standard error for long runs, only when it is a terminal.
final class ProgressLine: @unchecked Sendable {
    private let total: UInt64
    private let label: String
    private let enabled: Bool
    private let lock = NSLock()
    private var lastPercent = -1

    init(label: String, total: UInt64) {
        self.label = label
        self.total = max(1, total)
        enabled = isatty(2) == 1 && total > 1
    }

    func update(_ done: UInt64) {
        guard enabled else { return }
        let percent = Int(done * 100 / total)
        lock.lock(); defer { lock.unlock() }
        guard percent != lastPercent else { return }
        lastPercent = percent
        FileHandle.standardError.write(Data("\r\(label) \(percent)%".utf8))
    }

    func finish() {
        guard enabled, lastPercent >= 0 else { return }
        FileHandle.standardError.write(Data("\r\u{1B}[K".utf8))
    }
}
