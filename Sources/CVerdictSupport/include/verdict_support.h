#ifndef VERDICT_SUPPORT_H
#define VERDICT_SUPPORT_H

#include <stddef.h>
#include <stdint.h>

/// While loading (`loading` non-zero), asks glibc's allocator to grow its
/// heaps in large steps (64 MiB of address space at a time; pages are only
/// resident once written): loading a large policy allocates hundreds of
/// megabytes in small pieces, and the default steps of 128 KiB cost a
/// system call (`brk`, or `mprotect` in a worker thread's arena) for each.
/// Afterwards (`loading` zero) the defaults are back, so that memory
/// freed while answering tickets is given back as before. No effect with
/// other C libraries.
void verdict_tune_malloc(int loading);
/// Gives the pages of every free block back to the system (glibc's
/// `malloc_trim`): after loading a large policy, the memory its stages
/// freed is otherwise still counted as the process's own while tickets
/// are answered. No effect with other C libraries.
void verdict_return_free_memory(void);

/// The processors this process may run on: its CPU affinity on Linux
/// (`taskset`, a cpuset), else the processors online; at least 1.
int verdict_cpu_count(void);

/// Whether this processor has the x86 SHA extensions (and SSSE3, SSE4.1).
int verdict_sha256_hw_available(void);

/// SHA-256 compression of `blocks` 64-byte blocks into `state` (a, b, … h
/// as native integers) with the SHA extensions. Only call it when
/// `verdict_sha256_hw_available()`; elsewhere it does nothing.
void verdict_sha256_hw_blocks(uint32_t state[8], const uint8_t *data, size_t blocks);

/// The executable's GNU build ID (what the linker's `--build-id` wrote),
/// copied into `out` (at most `capacity` bytes); returns its length, 0 when
/// there is none (another platform, a binary linked without one). It tells
/// one build of `verdict` from another, for the policy cache.
size_t verdict_build_id(unsigned char *out, size_t capacity);

/// When `fd` is a pipe, asks the kernel to let it hold `bytes` (Linux's
/// F_SETPIPE_SZ; an unprivileged process may ask up to
/// /proc/sys/fs/pipe-max-size, 1 MiB by default): a pipe holds 64 KiB by
/// default, so a stream of hundreds of megabytes costs two context switches
/// per 64 KiB between writer and reader. Returns the pipe's size after the
/// request, 0 when `fd` is no pipe or the system has no such request;
/// failure changes nothing.
int verdict_grow_pipe(int fd, int bytes);

#endif
