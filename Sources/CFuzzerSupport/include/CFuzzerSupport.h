#ifndef QKDSPEC_CFUZZERSUPPORT_H
#define QKDSPEC_CFUZZERSUPPORT_H
#include <stddef.h>
#include <stdint.h>

/// libFuzzer's own mutator (LLVMFuzzerMutate) applied to data[0..<size], at most max_size bytes;
/// returns the new size. Without libFuzzer linked in (a plain build, a test) the bytes are left
/// as they are and `size` is returned.
size_t qkdspec_fuzzer_mutate(uint8_t *data, size_t size, size_t max_size);

/// Whether libFuzzer is linked in (LLVMFuzzerMutate resolved).
int qkdspec_fuzzer_linked(void);

/// An anonymous in-memory file (memfd_create) for a fuzz input that a library only reads by
/// path (/proc/self/fd/N): no disk, nothing left behind. -1 where the kernel refuses it.
int qkdspec_memory_file(const char *name);
#endif
