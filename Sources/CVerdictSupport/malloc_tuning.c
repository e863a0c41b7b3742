#include "verdict_support.h"

#include <stdlib.h>  // defines __GLIBC__ on glibc systems
#if defined(__GLIBC__)
#include <malloc.h>
#endif

void verdict_tune_malloc(int loading) {
#if defined(__GLIBC__)
    // 128 KiB is glibc's documented default.
    mallopt(M_TOP_PAD, loading ? 64 * 1024 * 1024 : 128 * 1024);
#else
    (void)loading;
#endif
}

void verdict_return_free_memory(void) {
#if defined(__GLIBC__)
    malloc_trim(0);
#endif
}
