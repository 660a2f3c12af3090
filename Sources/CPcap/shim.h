#ifndef QKDSPEC_CPCAP_SHIM_H
#define QKDSPEC_CPCAP_SHIM_H
#include <stdio.h>
#include <pcap/pcap.h>
#if defined(__GLIBC__)
#include <stdio_ext.h>
#endif

/// Tells the C library that only its owner uses `file`, so that `fread` on it takes no lock.
/// libpcap reads a capture with two `fread` calls per record; in a process with threads
/// (Swift's concurrency runtime starts some) glibc takes and releases the stream's lock on
/// each, two atomic operations per call, which the profile of a million-packet capture put at
/// about a tenth of the run. Sound only for a stream that one thread at a time reads, as a
/// `pcap_t` is (libpcap's handles are not thread-safe either). A no-op without glibc.
static inline void qkdspec_stdio_single_owner(FILE *file) {
#if defined(__GLIBC__)
    __fsetlocking(file, FSETLOCKING_BYCALLER);
#else
    (void)file;
#endif
}
#endif
