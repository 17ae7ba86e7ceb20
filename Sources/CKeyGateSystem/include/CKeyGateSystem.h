// The few Linux system interfaces that Glibc does not export to Swift, and
// the hooks of the constant-time checker (valgrind client requests, empty in
// normal builds). Each system call wrapper is a plain pass-through: errno is
// left for the caller to read.
#ifndef CKEYGATE_SYSTEM_H
#define CKEYGATE_SYSTEM_H

#include <pthread.h>
#include <stdint.h>
#include <string.h>
#include <sys/types.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <time.h>

/// getrandom(2): fills `buffer` with up to `length` bytes from the kernel's
/// CSPRNG. Blocks only until the pool is initialised at boot.
static inline ssize_t ckg_getrandom(void *buffer, size_t length, unsigned int flags) {
    return getrandom(buffer, length, flags);
}

// MARK: - epoll

// The epoll flags as plain constants: the header defines them as an enum
// and as macros whose shifted values (EPOLLET is 1u << 31) do not import.
static const uint32_t CKG_EPOLLIN = EPOLLIN;
static const uint32_t CKG_EPOLLOUT = EPOLLOUT;
static const uint32_t CKG_EPOLLRDHUP = EPOLLRDHUP;
static const uint32_t CKG_EPOLLHUP = EPOLLHUP;
static const uint32_t CKG_EPOLLERR = EPOLLERR;
static const uint32_t CKG_EPOLLET = EPOLLET;
static const int CKG_EPOLL_CLOEXEC = EPOLL_CLOEXEC;
static const int CKG_EPOLL_CTL_ADD = EPOLL_CTL_ADD;
static const int CKG_EPOLL_CTL_DEL = EPOLL_CTL_DEL;

/// The size of one `struct epoll_event`: 12 bytes on x86-64, where the
/// struct is packed, 16 elsewhere. Swift allocates arrays of it as raw bytes
/// and reads them with `ckg_epoll_event_at`.
static const size_t CKG_EPOLL_EVENT_SIZE = sizeof(struct epoll_event);

/// epoll_create1(2).
static inline int ckg_epoll_create1(int flags) {
    return epoll_create1(flags);
}

/// epoll_ctl(2) with the event built here, so Swift never has to lay out
/// the packed struct: `events` is the EPOLL* mask, `data` is stored in
/// `epoll_event.data.u64` and comes back unchanged with every event.
static inline int ckg_epoll_ctl(int epfd, int op, int fd, uint32_t events, uint64_t data) {
    struct epoll_event event;
    memset(&event, 0, sizeof(event));
    event.events = events;
    event.data.u64 = data;
    return epoll_ctl(epfd, op, fd, &event);
}

/// epoll_wait(2) into `buffer`, which holds room for `max_events` events of
/// CKG_EPOLL_EVENT_SIZE bytes each.
static inline int ckg_epoll_wait(int epfd, void *buffer, int max_events, int timeout_ms) {
    return epoll_wait(epfd, (struct epoll_event *)buffer, max_events, timeout_ms);
}

/// Reads event number `index` of an epoll_wait buffer: returns its EPOLL*
/// mask and stores its `data.u64` in `*data`.
static inline uint32_t ckg_epoll_event_at(const void *buffer, int index, uint64_t *data) {
    const struct epoll_event *event = (const struct epoll_event *)buffer + index;
    *data = event->data.u64;
    return event->events;
}

// MARK: - timerfd

static const int CKG_TFD_NONBLOCK = TFD_NONBLOCK;
static const int CKG_TFD_CLOEXEC = TFD_CLOEXEC;

/// timerfd_create(2) on CLOCK_MONOTONIC, the clock of KeyGate's deadlines.
static inline int ckg_timerfd_create_monotonic(int flags) {
    return timerfd_create(CLOCK_MONOTONIC, flags);
}

/// timerfd_settime(2): arms `fd` to expire once when CLOCK_MONOTONIC reaches
/// `nanoseconds` (an absolute time; one already past expires at once).
/// 0 would disarm the timer, so it is taken as 1, long past.
static inline int ckg_timerfd_arm_at(int fd, uint64_t nanoseconds) {
    if (nanoseconds == 0) nanoseconds = 1;
    struct itimerspec value;
    memset(&value, 0, sizeof(value));
    value.it_value.tv_sec = (time_t)(nanoseconds / 1000000000u);
    value.it_value.tv_nsec = (long)(nanoseconds % 1000000000u);
    return timerfd_settime(fd, TFD_TIMER_ABSTIME, &value, NULL);
}

// MARK: - sockets

// GNU extensions, declared here because defining _GNU_SOURCE in this module
// would change struct layouts relative to the Glibc module Swift imports.
extern int accept4(int fd, struct sockaddr *address, socklen_t *length, int flags);
extern int pthread_setname_np(pthread_t thread, const char *name);
extern ssize_t copy_file_range(int in_fd, __off64_t *in_offset, int out_fd, __off64_t *out_offset, size_t length,
                               unsigned int flags);

/// accept4(2): accepts a connection with flags (SOCK_NONBLOCK | SOCK_CLOEXEC)
/// applied atomically to the new descriptor.
static inline int ckg_accept4(int fd, struct sockaddr *address, socklen_t *length, int flags) {
    return accept4(fd, address, length, flags);
}

/// Names the calling thread (up to 15 characters), for ps, top and gdb.
static inline void ckg_name_current_thread(const char *name) {
    pthread_setname_np(pthread_self(), name);
}

// MARK: - files

/// copy_file_range(2): copies up to `length` bytes from `source`, starting
/// at `*source_offset` (advanced by what was copied; the file position of
/// `source` is not used), to `destination` at its file position (which
/// advances), inside the kernel: a reflink, or an in-kernel copy, where the
/// file systems allow it. Returns the bytes copied (0 at the end of
/// `source`), or -1 with errno: EXDEV, ENOSYS, EOPNOTSUPP or EINVAL where
/// the kernel or the file systems cannot do it.
static inline ssize_t ckg_copy_file_range(int source, int64_t *source_offset, int destination, size_t length) {
    __off64_t offset = *source_offset;
    ssize_t copied = copy_file_range(source, &offset, destination, NULL, length, 0);
    *source_offset = offset;
    return copied;
}

/// openat(2) of an unnamed regular file in the folder `directory`
/// (O_TMPFILE | O_RDWR | O_CLOEXEC, readable to verify it): it has no name until linked, and
/// the kernel frees it when its last descriptor closes, even if the process
/// is killed. Fails (EOPNOTSUPP, EISDIR) where the file system lacks
/// support. Defined in CKeyGateSystem.c, which sees the GNU flag.
int ckg_open_unnamed_file(int directory, mode_t mode);

// MARK: - Signals

/// Installs a handler that writes the number of signal `number`, as one
/// byte, to `descriptor` (the non-blocking write end of a pipe) instead of
/// the signal's default action: the self-pipe trick, so that a thread can
/// wait for signals with a blocking read. Every forwarded signal goes to
/// the same descriptor. Returns what sigaction(2) returns.
int ckg_forward_signal(int number, int descriptor);

// MARK: - constant time

/// `value` unchanged, through an empty assembly statement that the optimizer
/// cannot see into (BoringSSL's value_barrier_w). A mask computed from a
/// secret is then no longer known to be all zeros or all ones, so LLVM cannot
/// turn `(a & mask) | (b & ~mask)` back into a branch or a load of only the
/// selected entry, which it otherwise does (see KeyGateCrypto's
/// ConstantTime.mask). It emits no instruction.
static inline uint64_t ckg_value_barrier_u64(uint64_t value) {
    __asm__("" : "+r"(value));
    return value;
}

// MARK: - constant-time validation

// Memcheck (valgrind) reports every conditional branch, memory address and
// system call argument that depends on undefined memory. Marking a secret as
// undefined therefore turns memcheck into a checker that nothing branches on
// or indexes by that secret: the ctgrind technique, as in BoringSSL's
// CONSTANT_TIME_VALIDATION. The requests are compiled in only when the build
// passes -Xcc -DKEYGATE_CONSTANT_TIME_VALIDATION (Benchmarks/ct-check.sh
// does; valgrind's headers are needed then, and only then). In every other
// build each function below is empty, and once inlined nothing is left.
//
// They live here, in C, because a client request is a few instructions of
// inline assembly in valgrind's header, which Swift cannot express; the
// Swift API over them is KeyGateCrypto's ConstantTimeValidation.

/// Overwrites `count` bytes at `bytes` with zeros in a way the compiler may
/// not remove as a dead store (explicit_bzero, glibc 2.25): how secrets are
/// wiped before their memory is given back.
static inline void ckg_wipe(void *bytes, size_t count) {
    explicit_bzero(bytes, count);
}

#if defined(KEYGATE_CONSTANT_TIME_VALIDATION)
#include <valgrind/memcheck.h>

/// 1 when the client requests below are compiled in, 0 when they are no-ops.
#define CKG_CONSTANT_TIME_VALIDATION 1

/// Marks `count` bytes at `bytes` as secret (memcheck: undefined).
static inline void ckg_ct_mark_secret(const void *bytes, size_t count) {
    (void)VALGRIND_MAKE_MEM_UNDEFINED(bytes, count);
}

/// Marks `count` bytes at `bytes` as public (memcheck: defined): for results
/// that are meant to be public, such as whether a tag matched.
static inline void ckg_ct_declassify(const void *bytes, size_t count) {
    (void)VALGRIND_MAKE_MEM_DEFINED(bytes, count);
}

/// Whether the process runs under valgrind (for the checker's own checks).
static inline int ckg_ct_running_under_valgrind(void) {
    return RUNNING_ON_VALGRIND != 0;
}

/// The errors valgrind has reported so far, suppressed ones not counted.
static inline unsigned ckg_ct_error_count(void) {
    return VALGRIND_COUNT_ERRORS;
}

/// Whether every bit of the `count` bytes at `bytes` is marked secret
/// (undefined), read without reporting an error: lets the checker prove
/// that its inputs really are poisoned. 0 outside valgrind.
static inline int ckg_ct_is_secret(const void *bytes, size_t count) {
    unsigned char bits[64];
    const unsigned char *cursor = (const unsigned char *)bytes;
    while (count > 0) {
        size_t chunk = count < sizeof(bits) ? count : sizeof(bits);
        if (VALGRIND_GET_VBITS(cursor, bits, chunk) != 1) return 0;
        for (size_t index = 0; index < chunk; index++) {
            if (bits[index] != 0xFF) return 0;
        }
        cursor += chunk;
        count -= chunk;
    }
    return 1;
}
#else
#define CKG_CONSTANT_TIME_VALIDATION 0

static inline void ckg_ct_mark_secret(const void *bytes, size_t count) { (void)bytes; (void)count; }
static inline void ckg_ct_declassify(const void *bytes, size_t count) { (void)bytes; (void)count; }
static inline int ckg_ct_running_under_valgrind(void) { return 0; }
static inline unsigned ckg_ct_error_count(void) { return 0; }
static inline int ckg_ct_is_secret(const void *bytes, size_t count) { (void)bytes; (void)count; return 0; }
#endif

#endif
