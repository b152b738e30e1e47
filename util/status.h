/**
 * @file status.h
 * @brief Error status carried through every fallible library call.
 *
 * The library never prints, exits or aborts: a failing function fills the
 * caller's hp_status with a code and a message that says where, what and
 * what to change, and returns the code. Callers add context on the way up
 * (as CLASS's class_call does), so the final message reads like
 * "reading run.param: NParticles = 100 at line 12: must be even".
 * There is no global error buffer: the status is always passed explicitly.
 */
#ifndef HP_STATUS_H
#define HP_STATUS_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Error codes returned by every fallible function (0 is success). */
enum hp_code {
  HP_OK = 0,
  HP_ERR_INPUT = 1,   /**< bad parameter, bad argument, inconsistent request */
  HP_ERR_IO = 2,      /**< a file could not be opened, read or written */
  HP_ERR_FORMAT = 3,  /**< a file was readable but its contents are wrong */
  HP_ERR_NOMEM = 4,   /**< an allocation failed */
  HP_ERR_NUMERIC = 5, /**< an integration or root find failed to converge */
  HP_ERR_DEVICE = 6,  /**< a GPU call failed */
  HP_ERR_INTERNAL = 7 /**< a broken invariant: a bug in halopaint */
};

#define HP_MSG_LEN 2048

/** Status of a call: code (enum hp_code) and a human-readable message. */
typedef struct hp_status {
  int code;             /**< HP_OK or an hp_code */
  char msg[HP_MSG_LEN]; /**< empty when code == HP_OK */
} hp_status;

/** Reset a status to HP_OK with an empty message. */
void hp_status_clear(hp_status *st);

/**
 * Record a failure: set the code and a printf-style message.
 * @return code, so that `return hp_fail(st, HP_ERR_INPUT, "...")` works.
 */
int hp_fail(hp_status *st, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/**
 * Prefix context to an existing failure: msg becomes "<context>: <msg>".
 * @return st->code.
 */
int hp_error_context(hp_status *st, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/** Short name of a code ("input error", "I/O error", ...). */
const char *hp_code_name(int code);

/**
 * Allocate n bytes aligned for SIMD/FFTW use (64 bytes); on failure record
 * HP_ERR_NOMEM naming @p what and the size. Free with hp_free.
 */
void *hp_alloc(size_t n, const char *what, hp_status *st);
void hp_free(void *p);

#ifdef __cplusplus
}
#endif
#endif
