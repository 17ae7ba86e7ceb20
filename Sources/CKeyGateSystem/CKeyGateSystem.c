// Most of the module lives in the header as static inline functions. What
// needs a GNU-only flag is defined here, where _GNU_SOURCE changes nothing
// that Swift sees.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>
#include "CKeyGateSystem.h"

int ckg_open_unnamed_file(int directory, mode_t mode) {
    return openat(directory, ".", O_TMPFILE | O_RDWR | O_CLOEXEC, mode);
}

// MARK: - Signals


// Where the handler writes: one watcher per process, set before any handler
// is installed and never changed while one runs.
static volatile int ckg_signal_descriptor = -1;

// Async-signal-safe: one write(2), errno preserved for the code it
// interrupted. A full pipe drops the byte, which loses nothing the reader
// has not yet been told.
static void ckg_signal_handler(int number) {
    int saved = errno;
    unsigned char byte = (unsigned char)number;
    (void)write(ckg_signal_descriptor, &byte, 1);
    errno = saved;
}

int ckg_forward_signal(int number, int descriptor) {
    ckg_signal_descriptor = descriptor;
    struct sigaction action;
    memset(&action, 0, sizeof(action));
    action.sa_handler = ckg_signal_handler;
    action.sa_flags = SA_RESTART;
    sigemptyset(&action.sa_mask);
    return sigaction(number, &action, NULL);
}
