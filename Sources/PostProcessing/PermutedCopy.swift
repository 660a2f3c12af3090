import CBitPermutation

extension CascadePermutations {
    /// Writes pass `p`'s permuted copy of the `frameBits`-bit string at `src` (bit i of the copy
    /// is bit `order[p][i]` of the string) over the first (frameBits + 63) / 64 words of `dst`,
    /// the bits past the frame zero. Where the CPU has AVX2 or AVX-512 the C kernel gathers 8 or
    /// 16 bits at a time, reading the 16-bit order when the frame has one (the table the flips
    /// read as well, so both keep it in cache); otherwise the one bits are scattered
    /// (`BitKey.scatter`). Every path gives the same words.
    func permutedCopy(pass p: Int, of src: UnsafeBufferPointer<UInt64>, into dst: UnsafeMutableBufferPointer<UInt64>) {
        let n = frameBits, wordCount = (n + 63) / 64
        precondition(src.count == wordCount && dst.count >= wordCount && p < passes, "permuted copy of \(n) bits")
        guard n > 0 else { return }
        guard qkd_permute_level() > 0 else {
            BitKey.scatter(src, count: n, inverse: position[p], into: dst)
            return
        }
        if let order16 {
            qkd_permute_bits16(dst.baseAddress!, src.baseAddress!, order16 + p * n, n)
        } else {
            order[p].withUnsafeBufferPointer { o in qkd_permute_bits(dst.baseAddress!, src.baseAddress!, o.baseAddress!, n) }
        }
    }

    /// `permutedCopy` of passes `p` and `q` (Cascade's parties copy their key for two passes or
    /// more); the portable path finds the string's one bits once for both.
    func permutedCopies(passes p: Int, _ q: Int, of src: UnsafeBufferPointer<UInt64>, into dst0: UnsafeMutableBufferPointer<UInt64>,
                        _ dst1: UnsafeMutableBufferPointer<UInt64>) {
        guard qkd_permute_level() > 0 else {
            BitKey.scatter(src, count: frameBits, inverses: position[p], position[q], into: dst0, dst1)
            return
        }
        permutedCopy(pass: p, of: src, into: dst0)
        permutedCopy(pass: q, of: src, into: dst1)
    }
}
