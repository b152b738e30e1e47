/**
 * @file memory.h
 * @brief Memory of this process (progress lines, benchmarks) and the memory it may still take:
 *        the smaller of the machine's MemAvailable and what its control group (container,
 *        batch job) leaves, so that a run is refused before it starts, not killed.
 */
#ifndef HP_MEMORY_H
#define HP_MEMORY_H

/** Current resident set size in bytes (VmRSS), or 0 if unknown. */
double hp_memory_rss(void);
/** Peak resident set size in bytes (VmHWM), or 0 if unknown. */
double hp_memory_peak(void);

/**
 * Bytes this process may still allocate: min(MemAvailable, cgroup limit - cgroup usage) with
 * the cgroup of /proc/self/cgroup, v2 (memory.max, memory.current) or v1
 * (memory.limit_in_bytes, memory.usage_in_bytes), looked up at its path and at the mount's
 * root (inside a container the group is the root). 0 if nothing could be read.
 */
double hp_memory_available(void);
/** The same with other roots for /proc and /sys/fs/cgroup (for tests). */
double hp_memory_available_at(const char *proc, const char *cgroup);

#include "util/status.h"

/**
 * The plan-before-allocate check every command makes: HP_ERR_NOMEM, naming @p what, the bytes
 * it needs and the bound, when @p need exceeds @p limit_mb (MemoryLimit, MB) or, when that is
 * 0, the memory available (hp_memory_available); 0 otherwise (also when nothing is known).
 */
int hp_memory_check(double need, double limit_mb, const char *what, hp_status *st);

#endif
