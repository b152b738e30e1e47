/*
 * The light-cone writers' shared state (internal to lightcone/): a cone is written shell by
 * shell, into a temporary file renamed at the end, so that a cone never has to fit in memory.
 * HDF5 (cone_hdf5.c): growing, chunked columns, the header written last. ASCII
 * (cone_ascii.c): rows into an anonymous temporary file, copied after the header at the end.
 */
#ifndef HP_CONE_IO_H
#define HP_CONE_IO_H

#include <hdf5.h>
#include <stdio.h>

#include "lightcone/cone.h"
#include "util/atomic_file.h"

#define HP_CONE_NCOLS 11

struct hp_cone_writer {
  int ascii;
  hp_atomic_file af;
  int64_t written;
  hid_t file, halos, col[HP_CONE_NCOLS]; /* HDF5 */
  FILE *body;                            /* ASCII: the rows until the header is known */
};

int hp_cone_h5_open(hp_cone_writer *w, hp_status *st);
int hp_cone_h5_append(hp_cone_writer *w, const hp_cone *c, hp_status *st);
int hp_cone_h5_close(hp_cone_writer *w, const hp_cone *c, hp_status *st);
void hp_cone_h5_abort(hp_cone_writer *w);

int hp_cone_txt_open(hp_cone_writer *w, hp_status *st);
int hp_cone_txt_append(hp_cone_writer *w, const hp_cone *c, hp_status *st);
int hp_cone_txt_close(hp_cone_writer *w, const hp_cone *c, hp_status *st);
void hp_cone_txt_abort(hp_cone_writer *w);

#endif
