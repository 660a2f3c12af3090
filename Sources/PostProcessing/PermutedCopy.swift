import CBitPermutation

extension BitKey {
    /// Writes the `count`-bit string at `src` permuted by `order` (bit i of the copy is bit
    /// `order[i]` of the string; `inverse` is the inverse permutation) over the first
    /// (count + 63) / 64 words of `dst`, the bits past `count` zero. Where the CPU has AVX2 or
    /// AVX-512 the C kernel gathers 8 or 16 bits at a time; otherwise the one bits are scattered
    /// (`scatter`). Both give the same words.
    static func permutedCopy(
        _ src: UnsafeBufferPointer<UInt64>, count n: Int, order: [Int32], inverse: [Int32], into dst: UnsafeMutableBufferPointer<UInt64>
    ) {
        let wordCount = (n + 63) / 64
        precondition(src.count == wordCount && order.count == n && inverse.count == n && dst.count >= wordCount, "permuted copy of \(n) bits")
        guard n > 0 else { return }
        guard qkd_permute_level() > 0 else {
            scatter(src, count: n, inverse: inverse, into: dst)
            return
        }
        order.withUnsafeBufferPointer { o in
            qkd_permute_bits(dst.baseAddress!, src.baseAddress!, o.baseAddress!, n)
        }
    }

    /// `permutedCopy` into two rows, by two permutations (Cascade's parties copy their key for two
    /// passes or more).
    static func permutedCopies(
        _ src: UnsafeBufferPointer<UInt64>, count n: Int, orders first: [Int32], _ second: [Int32], inverses firstInverse: [Int32],
        _ secondInverse: [Int32], into dst0: UnsafeMutableBufferPointer<UInt64>, _ dst1: UnsafeMutableBufferPointer<UInt64>
    ) {
        guard qkd_permute_level() > 0 else {
            scatter(src, count: n, inverses: firstInverse, secondInverse, into: dst0, dst1)
            return
        }
        permutedCopy(src, count: n, order: first, inverse: firstInverse, into: dst0)
        permutedCopy(src, count: n, order: second, inverse: secondInverse, into: dst1)
    }
}
