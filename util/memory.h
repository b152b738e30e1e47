/**
 * @file memory.h
 * @brief Resident memory of this process (for progress lines and benchmarks).
 */
#ifndef HP_MEMORY_H
#define HP_MEMORY_H

/** Current resident set size in bytes (VmRSS), or 0 if unknown. */
double hp_memory_rss(void);
/** Peak resident set size in bytes (VmHWM), or 0 if unknown. */
double hp_memory_peak(void);

#endif
