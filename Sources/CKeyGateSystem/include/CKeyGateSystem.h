// The few Linux system interfaces that Glibc does not export to Swift.
// Each wrapper is a plain pass-through: errno is left for the caller to read.
#ifndef CKEYGATE_SYSTEM_H
#define CKEYGATE_SYSTEM_H

#include <sys/types.h>
#include <sys/random.h>

/// getrandom(2): fills `buffer` with up to `length` bytes from the kernel's
/// CSPRNG. Blocks only until the pool is initialised at boot.
static inline ssize_t ckg_getrandom(void *buffer, size_t length, unsigned int flags) {
    return getrandom(buffer, length, flags);
}

#endif
