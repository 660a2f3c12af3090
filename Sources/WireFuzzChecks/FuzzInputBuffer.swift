import CFuzzerSupport

/// A fuzz input as a `[UInt8]`, in one array reused for every input, with the bytes past the
/// input poisoned for AddressSanitizer.
///
/// The decoder takes an array, so each input must be copied into one. A fresh array per input
/// costs an allocation and a free, which under AddressSanitizer (stack unwinding, quarantine,
/// malloc hooks) was about a sixth of the frame target's time per input. A reused array would
/// lose what the fresh one gives: an out-of-bounds read just past the input lands in the
/// allocation's redzone and is reported. So the reused array keeps that: everything between the
/// input's end and the array's capacity is poisoned, and a read there is reported as an overflow,
/// exactly as past a fresh allocation. An input larger than the capacity gets a fresh array.
///
/// Without AddressSanitizer (a plain build, a test) poisoning does nothing and the buffer is
/// only a reused array.
package struct FuzzInputBuffer {
    private var bytes: [UInt8] = []
    /// Where the array's storage starts: it must not move, or the poisoned range would be wrong.
    private let base: UnsafeRawPointer?
    private let capacity: Int
    /// Bytes [valid, capacity) are poisoned.
    private var valid = 0

    /// A buffer for inputs of up to `capacity` bytes (the fuzzer's `-max_len`).
    package init(capacity: Int) {
        bytes.reserveCapacity(capacity)
        self.capacity = bytes.capacity
        base = bytes.withUnsafeBufferPointer { UnsafeRawPointer($0.baseAddress) }
        if let base { qkdspec_poison(base, self.capacity) }
    }

    /// Runs `body` with `size` bytes at `data` as an array. `body` must not keep the array: the
    /// next input overwrites it (a kept copy would make the next input allocate a fresh array).
    package mutating func withInput<R>(_ data: UnsafePointer<UInt8>, _ size: Int, _ body: ([UInt8]) -> R) -> R {
        guard let base, size <= capacity else { return body(Array(UnsafeBufferPointer(start: data, count: size))) }
        if size > valid { qkdspec_unpoison(base + valid, size - valid) }
        bytes.removeAll(keepingCapacity: true)
        bytes.append(contentsOf: UnsafeBufferPointer(start: data, count: size))
        precondition(bytes.withUnsafeBufferPointer { UnsafeRawPointer($0.baseAddress) } == base, "the reused fuzz input buffer moved")
        if size < valid { qkdspec_poison(base + size, valid - size) }
        valid = size
        return body(bytes)
    }
}
