#if canImport(Glibc)
import Glibc
#endif

/// Process-wide allocator settings for a node.
package enum AllocatorTuning {
    /// Keeps large buffers on the heap. A node allocates and frees a sifting announcement of about
    /// a megabyte per quantum-layer block on each side; glibc serves such sizes with fresh `mmap`s
    /// by default, so every one of them costs a page fault and a kernel page clear per 4 KiB.
    /// Below a 32 MiB threshold they are reused from the heap instead, and the heap is not
    /// trimmed back between blocks. Elsewhere (another C library) this does nothing.
    package static func keepLargeBuffersOnHeap() {
        #if canImport(Glibc)
        // mallopt is in <malloc.h>, which the Glibc module does not export: look it up instead.
        typealias Mallopt = @convention(c) (Int32, Int32) -> Int32
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "mallopt") else { return }
        let mallopt = unsafeBitCast(symbol, to: Mallopt.self)
        let trimThreshold: Int32 = -1, mmapThreshold: Int32 = -3  // M_TRIM_THRESHOLD, M_MMAP_THRESHOLD
        _ = mallopt(mmapThreshold, 32 << 20)
        _ = mallopt(trimThreshold, 256 << 20)
        #endif
    }
}
