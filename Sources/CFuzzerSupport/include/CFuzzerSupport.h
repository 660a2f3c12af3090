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

/// Marks [address, address + size) unaddressable for AddressSanitizer (any access is reported as
/// an overflow), or addressable again; nothing without AddressSanitizer. For a buffer reused
/// across fuzz inputs: the bytes past the current input are poisoned, as a fresh allocation's
/// redzone would be.
void qkdspec_poison(const void *address, size_t size);
void qkdspec_unpoison(const void *address, size_t size);
#endif
