import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// libgf2x's full product `gf2x_mul`, loaded at run time with dlopen when the library is
/// installed (Debian: libgf2x-dev, or libgf2x3 alone), so that qkdspec neither builds nor links
/// against it. It is the independent baseline of `bench pa`: a widely used C library for the same
/// arithmetic (GF(2)[x] products), timed in the same invocation as our Toeplitz hash.
struct GF2XLibrary {
    typealias Multiply = @convention(c) (UnsafeMutablePointer<UInt>?, UnsafePointer<UInt>?, UInt, UnsafePointer<UInt>?, UInt) -> Int32
    let multiply: Multiply
    /// The file that was loaded.
    let path: String

    /// The library, or nil when it is not installed.
    static func load() -> GF2XLibrary? {
        #if os(Linux)
        for name in ["libgf2x.so.3", "libgf2x.so"] {
            guard let handle = dlopen(name, RTLD_NOW | RTLD_LOCAL), let symbol = dlsym(handle, "gf2x_mul") else { continue }
            return GF2XLibrary(multiply: unsafeBitCast(symbol, to: Multiply.self), path: name)
        }
        #endif
        return nil
    }

    /// c = a · b over GF(2), `a` and `b` of the same number of words; `c` holds twice as many.
    func multiply(_ c: inout [UInt], _ a: [UInt], _ b: [UInt]) {
        a.withUnsafeBufferPointer { ap in
            b.withUnsafeBufferPointer { bp in
                c.withUnsafeMutableBufferPointer { cp in
                    _ = multiply(cp.baseAddress, ap.baseAddress, UInt(ap.count), bp.baseAddress, UInt(bp.count))
                }
            }
        }
    }
}
