/* FFTW thread set-up shared by every module that plans transforms. */
#include "fftw_threads.h"

#include <fftw3.h>

static int ready = 0; /* guarded by the hp_fftw_planner critical section of the callers */

void hp_fftw_threads(int nthreads) {
  if (!ready) ready = fftwf_init_threads();
  fftwf_plan_with_nthreads(nthreads);
}
