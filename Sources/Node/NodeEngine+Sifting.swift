import Foundation
import PostProcessing
import Wire

/// Sifting (docs/protocol.md, SIFTING_BASES / SIFTING_RESULT) and cutting the sifted signal bits
/// into frames.
extension NodeEngine {
    /// Alice sifts every announced block she has the records of, in announcement order.
    func processPendingBases() throws(NodeError) {
        while let bases = pendingBases.first, let block = ownBlocks[bases.block] {
            pendingBases.removeFirst()
            ownBlocks[bases.block] = nil
            let d = bases.offsets.count
            // Alice's record index for each of Bob's detections. A device keeps every slot; the
            // harness sends Alice exactly Bob's detected slots, which makes this the identity.
            var index = [Int]()
            if !Self.sameOffsets(block.offsets, bases.offsets) {
                index.reserveCapacity(d)
                var j = 0
                for offset in bases.offsets {
                    while j < block.offsets.count && block.offsets[j] < offset { j += 1 }
                    guard j < block.offsets.count, block.offsets[j] == offset else {
                        throw .protocolViolation("Bob announced slot \(offset) of block \(bases.block), which Alice has no record of")
                    }
                    index.append(j)
                }
            }
            var signal = siftBuffer
            siftBuffer = BitKey(count: 0)  // uniquely referenced while it grows
            let matches: [UInt8], classes: [UInt8], matched: Int
            if index.isEmpty {
                // Same slots on both sides: the table-driven kernel, eight detections at a time.
                (matches, classes, matched) = SiftingKernel.aliceSift(
                    detections: d, aliceBases: block.bases.bytes, bobBases: bases.bases.bytes, classes: block.extra.bytes,
                    bits: block.bits.bytes, into: &signal)
            } else {
                (matches, classes, matched) = Self.siftByIndex(index, block: block, bobBases: bases.bases, into: &signal)
            }
            siftBuffer = signal
            decoy.record(pulses: block.pulseCount, siftedPerClass: Self.classCounts(classes, matched: matched))
            try transmit(.siftingResult(SiftingResult(
                block: bases.block, matches: BitString(bitCount: d, bytes: matches), classes: BitString(bitCount: 2 * matched, bytes: classes))))
            try cutFrames()
        }
    }

    /// Alice's sifting when her records are not exactly Bob's detections: `index[i]` is her record
    /// of Bob's detection i. One match at a time.
    static func siftByIndex(_ index: [Int], block: QuantumLayerBlock, bobBases: BitString, into signal: inout BitKey)
        -> (matches: [UInt8], classes: [UInt8], matched: Int) {
        let d = index.count
        var matches = [UInt8](repeating: 0, count: (d + 7) / 8)
        var classes = [UInt8](repeating: 0, count: (2 * d + 7) / 8)
        var matched = 0
        for (i, j) in index.enumerated() where block.bases[j] == bobBases[i] {
            matches[i >> 3] |= 1 << UInt8(i & 7)
            let c = (block.extra.bytes[(2 * j) >> 3] >> UInt8((2 * j) & 7)) & 3
            classes[(2 * matched) >> 3] |= c << UInt8((2 * matched) & 7)
            matched += 1
            if c == 0 { signal.append(block.bits[j]) }
        }
        classes.removeLast(classes.count - (2 * matched + 7) / 8)
        return (matches, classes, matched)
    }

    /// Bob keeps the matched detections Alice's result names, counting them per intensity class
    /// for his decoy-state statistics.
    func bobSift(_ r: SiftingResult) throws(NodeError) {
        guard let block = ownBlocks.removeValue(forKey: r.block) else {
            throw .protocolViolation("sifting result for block \(r.block), which Bob did not announce")
        }
        guard r.matches.bitCount == block.offsets.count else {
            throw .protocolViolation("sifting result for \(r.matches.bitCount) detections, block \(r.block) has \(block.offsets.count)")
        }
        var perClass = [0, 0, 0, 0]
        var signal = siftBuffer
        siftBuffer = BitKey(count: 0)  // uniquely referenced while it grows
        SiftingKernel.bobSift(matches: r.matches.bytes, classes: r.classes.bytes, bits: block.bits.bytes, into: &signal, perClass: &perClass)
        siftBuffer = signal
        decoy.record(pulses: block.pulseCount, siftedPerClass: perClass)
        try cutFrames()
        if quantumLayerEnded { try sendCloseIfBobDone() }
    }

    /// Every `frame bits` sifted signal bits make a frame; Alice starts its estimation at once.
    func cutFrames() throws(NodeError) {
        let p = try agreedParameters(for: "sifted bits")
        let n = p.frameBits
        while siftBuffer.count >= n {
            let id = nextFrame
            let sifted = siftBuffer.slice(0..<n)
            siftBuffer = siftBuffer.slice(n..<siftBuffer.count)
            frames[id] = FrameState(id: id, phase: .estimating(key: sifted, decoy: decoy))
            summary.frames += 1
            summary.siftedBits += n
            logger.debug("frame cut", metadata: ["frame": "\(id)", "t": "\(postProcessingSeconds)"])
            nextFrame += 1
            if config.role == .alice { try aliceStartEstimation(id, sifted: sifted, decoy: decoy, p) }
        }
    }

    /// Matched detections per intensity class, from SIFTING_RESULT's classes column (2 bits per
    /// match, least significant first): what Alice's decoy-state statistics count.
    static func classCounts(_ classes: [UInt8], matched: Int) -> [Int] {
        var counts = [0, 0, 0, 0]
        for i in 0..<matched where (2 * i) >> 3 < classes.count {
            counts[Int((classes[(2 * i) >> 3] >> UInt8((2 * i) & 7)) & 3)] += 1
        }
        return counts
    }

    /// Whether two offset lists are equal, compared as bytes (the element-wise `==` of arrays is
    /// slow for the half million offsets of a block).
    static func sameOffsets(_ a: [UInt32], _ b: [UInt32]) -> Bool {
        guard a.count == b.count else { return false }
        return a.withUnsafeBytes { x in
            b.withUnsafeBytes { y in
                guard let p = x.baseAddress, let q = y.baseAddress else { return true }  // both empty
                return memcmp(p, q, x.count) == 0
            }
        }
    }
}
