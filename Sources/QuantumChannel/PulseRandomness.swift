import QKDMath

/// The fixed mapping from Philox output words to every random choice of the simulation
/// (specified in docs/prng.md so that another implementation reproduces it bit for bit).
///
/// Per pulse i, draw 0 of stream `pulse` gives four words:
/// - w0: Alice's intensity class (first k with w0 < T_k, T_k = round(2³²·Σ_{j≤k} p_j));
/// - w1: Alice's basis (Z when w1 < round(2³²·p_Z));
/// - w2: bit 0 Alice's bit, bit 1 Eve's basis, bit 2 Eve's bit when her basis differs from
///   Alice's, bit 3 the bit Bob records on a double click;
/// - w3: Bob's basis (Z when w3 < round(2³²·p_Z)).
/// Draw 1 of the same stream (only evaluated when needed): w0 Eve intercepts when
/// w0 < round(2³²·p_Eve); w1 the injected noise flips Bob's bit when w1 < round(2³²·p_noise);
/// w2 an afterpulse follows when w2 < round(2³²·p_ap).
///
/// The click candidates of block b come from stream `gaps`, index b, draw j = 0, 1, …: words
/// (w0, w1) give the gap uniform U (``Uniform/open52(hi:lo:)``), w2 the acceptance uniform.
enum PulseStream {
    /// ASCII "PULS".
    static let pulse: UInt32 = 0x5055_4C53
    /// ASCII "GAPS".
    static let gaps: UInt32 = 0x4741_5053
}

/// A probability as a threshold on a 32-bit word: the event happens when word < threshold.
@inline(__always)
func wordThreshold(_ p: Double) -> UInt64 {
    UInt64((min(max(p, 0), 1) * 4_294_967_296).rounded())
}
