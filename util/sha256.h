/**
 * @file sha256.h
 * @brief SHA-256 (FIPS 180-4) of bytes or a file (through nettle), to record which model made a
 *        catalogue.
 */
#ifndef HP_SHA256_H
#define HP_SHA256_H

#include <stddef.h>
#include <stdint.h>

#include "util/status.h"

/** Digest of @p n bytes as 64 lowercase hex characters plus a NUL in @p hex. */
void hp_sha256_hex(const void *data, size_t n, char hex[65]);
/** Digest of a whole file (as `sha256sum` prints it). */
int hp_sha256_file(const char *path, char hex[65], hp_status *st);

#endif
