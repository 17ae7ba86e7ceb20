// Most of the module lives in the header as static inline functions. What
// needs a GNU-only flag is defined here, where _GNU_SOURCE changes nothing
// that Swift sees.
#define _GNU_SOURCE
#include <fcntl.h>
#include "CKeyGateSystem.h"

int ckg_open_unnamed_file(int directory, mode_t mode) {
    return openat(directory, ".", O_TMPFILE | O_WRONLY | O_CLOEXEC, mode);
}
