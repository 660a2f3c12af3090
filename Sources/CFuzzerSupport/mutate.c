#include "CFuzzerSupport.h"

// Weak: resolved when the program is linked with -fsanitize=fuzzer, null otherwise, so the
// custom mutators compile into plain builds and tests too.
extern size_t LLVMFuzzerMutate(uint8_t *data, size_t size, size_t max_size) __attribute__((weak));

size_t qkdspec_fuzzer_mutate(uint8_t *data, size_t size, size_t max_size) {
    if (LLVMFuzzerMutate) return LLVMFuzzerMutate(data, size, max_size);
    return size;
}

int qkdspec_fuzzer_linked(void) { return LLVMFuzzerMutate != 0; }
