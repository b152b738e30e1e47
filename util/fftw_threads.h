/**
 * @file fftw_threads.h
 * @brief One place that sets up FFTW's threads before a plan is made.
 *
 * FFTW's planner is not thread-safe and its thread set-up is global: every
 * module plans inside `#pragma omp critical(hp_fftw_planner)` and calls
 * hp_fftw_threads there first. fftwf_init_threads runs once per process;
 * fftwf_cleanup is never called behind the host code's back.
 */
#ifndef HP_FFTW_THREADS_H
#define HP_FFTW_THREADS_H

/** Initialise FFTW's OpenMP threads once and set the planner's thread count (call inside the
 *  hp_fftw_planner critical section). */
void hp_fftw_threads(int nthreads);

#endif
