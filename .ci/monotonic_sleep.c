/*
 * Preloaded before libfaketime for the CI's moved-clock runs (.ci/run).
 *
 * libfaketime 0.9.10 (Debian 12's `faketime`) fails every sleep until an absolute
 * CLOCK_MONOTONIC deadline with EINVAL when FAKETIME_DONT_FAKE_MONOTONIC=1: it shifts the
 * deadline by the fake offset although the monotonic clock is not faked. Python 3.11 and later
 * sleep exactly that way (time.sleep, and so subprocess timeouts). Monotonic sleeps go straight
 * to the kernel here; everything else, the wall clock included, is still libfaketime's.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

int clock_nanosleep(clockid_t clock_id, int flags, const struct timespec *request,
                    struct timespec *remain) {
    if (clock_id == CLOCK_MONOTONIC || clock_id == CLOCK_MONOTONIC_RAW ||
        clock_id == CLOCK_BOOTTIME) {
        return syscall(SYS_clock_nanosleep, clock_id, flags, request, remain) == 0 ? 0 : errno;
    }
    static int (*next)(clockid_t, int, const struct timespec *, struct timespec *);
    if (next == NULL) {
        next = (int (*)(clockid_t, int, const struct timespec *, struct timespec *))dlsym(
            RTLD_NEXT, "clock_nanosleep");
    }
    return next(clock_id, flags, request, remain);
}
