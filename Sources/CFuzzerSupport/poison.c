#include "CFuzzerSupport.h"

// Weak: AddressSanitizer's manual poisoning, resolved in a -sanitize=address build and null in
// a plain one (where there is nothing to mark).
extern void __asan_poison_memory_region(void const volatile *addr, size_t size) __attribute__((weak));
extern void __asan_unpoison_memory_region(void const volatile *addr, size_t size) __attribute__((weak));

void qkdspec_poison(const void *address, size_t size) {
    if (__asan_poison_memory_region && size > 0) __asan_poison_memory_region(address, size);
}

void qkdspec_unpoison(const void *address, size_t size) {
    if (__asan_unpoison_memory_region && size > 0) __asan_unpoison_memory_region(address, size);
}
