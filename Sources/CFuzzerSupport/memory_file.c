#define _GNU_SOURCE
#include <sys/mman.h>
#include "CFuzzerSupport.h"

int qkdspec_memory_file(const char *name) { return memfd_create(name, MFD_CLOEXEC); }
