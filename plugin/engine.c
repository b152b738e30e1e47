/* CPU or GPU painter behind one plan/execute (see engine.h). */
#include "plugin/engine.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cuda/device.h"
#include "cuda/painter_cuda.h"
#include "nn/painter.h"

struct hp_engine {
  hp_painter *cpu;
  hp_cuda_painter *gpu;
  char note[640];
};

int hp_engine_resolve_device(const char *device, int device_id, int *use_cuda, char *note, size_t n,
                             hp_status *st) {
  const char *dev = device ? device : "auto";
  *use_cuda = 0;
  if (!strcmp(dev, "cpu")) {
    snprintf(note, n, "cpu");
    return HP_OK;
  }
  if (strcmp(dev, "cuda") && strcmp(dev, "auto"))
    return hp_fail(st, HP_ERR_INPUT,
                   "unknown device \"%.100s\" (expected \"cpu\", \"cuda\" or \"auto\")", dev);
  const int want = !strcmp(dev, "cuda");
  if (device_id < 0) return hp_fail(st, HP_ERR_INPUT, "device_id = %d: must be >= 0", device_id);
  if (!hp_cuda_compiled()) {
    if (want)
      return hp_fail(st, HP_ERR_DEVICE,
                     "device \"cuda\": this build of halopaint has no CUDA backend (rebuild "
                     "with CUDA=1 where nvcc is installed), use \"cpu\" or \"auto\"");
    snprintf(note, n, "cpu (auto: this build has no CUDA backend)");
    return HP_OK;
  }
  int count = 0;
  if (hp_cuda_device_count(&count, st)) return st->code;
  if (device_id >= count) {
    if (want)
      return hp_fail(st, HP_ERR_DEVICE, "device \"cuda\" id %d: %d CUDA device(s) present",
                     device_id, count);
    snprintf(note, n, "cpu (auto: no CUDA device %d; %d present)", device_id, count);
    return HP_OK;
  }
  char name[256] = "";
  if (hp_cuda_device_name(device_id, name, (int)sizeof name, st)) return st->code;
  snprintf(note, n, "cuda:%d %s", device_id, name);
  *use_cuda = 1;
  return HP_OK;
}

void hp_engine_destroy(hp_engine *e) {
  if (!e) return;
  hp_painter_destroy(e->cpu);
  hp_cuda_painter_destroy(e->gpu);
  free(e);
}

int hp_engine_create(hp_engine **out, const hp_net *net, const hp_engine_desc *d, hp_status *st) {
  *out = NULL;
  hp_engine *e = calloc(1, sizeof *e);
  if (!e) return hp_fail(st, HP_ERR_NOMEM, "painter: cannot allocate the engine");
  int use_cuda = 0;
  char why[512] = "";
  if (hp_engine_resolve_device(d->device, d->device_id, &use_cuda, e->note, sizeof e->note, st))
    goto fail;
  if (use_cuda) {
    hp_cuda_painter_desc gd = {
        {d->n[0], d->n[1], d->n[2]}, d->periodic, d->device_id, NULL, HP_GPU_FP32, d->device_bytes};
    gd.stream = d->stream;
    gd.precision = d->tf32 ? HP_GPU_TF32 : HP_GPU_FP32;
    if (hp_cuda_painter_create(&e->gpu, net, &gd, st) == HP_OK) {
      const size_t len = strlen(e->note);
      snprintf(e->note + len, sizeof e->note - len, ", %d slab(s), %.2f GB",
               hp_cuda_painter_nslabs(e->gpu), hp_cuda_painter_device_bytes(e->gpu) / 1e9);
      *out = e;
      return HP_OK;
    }
    if (d->device && !strcmp(d->device, "cuda")) goto fail;
    snprintf(why, sizeof why, "%.400s", st->msg); /* auto: fall back to the CPU */
    hp_status_clear(st);
    snprintf(e->note, sizeof e->note, "cpu (auto: the GPU plan failed: %.500s)", why);
  }
  hp_painter_desc pd = {{d->n[0], d->n[1], d->n[2]}, d->periodic, d->nthreads, 0, 0, 0};
  if (hp_painter_create(&e->cpu, net, &pd, st)) goto fail;
  *out = e;
  return HP_OK;
fail:
  hp_engine_destroy(e);
  return st->code;
}

int hp_engine_execute(hp_engine *e, const float *density, float *const *out, hp_status *st) {
  return e->gpu ? hp_cuda_painter_execute(e->gpu, density, out, st)
                : hp_painter_execute(e->cpu, density, out, st);
}

void hp_engine_out_shape(const hp_engine *e, int64_t out[3]) {
  if (e->gpu)
    hp_cuda_painter_out_shape(e->gpu, out);
  else
    hp_painter_out_shape(e->cpu, out);
}
size_t hp_engine_host_bytes(const hp_engine *e) {
  return e->cpu ? hp_painter_workspace_bytes(e->cpu) : 0;
}
size_t hp_engine_device_bytes(const hp_engine *e) {
  return e->gpu ? hp_cuda_painter_device_bytes(e->gpu) : 0;
}
const char *hp_engine_device(const hp_engine *e) { return e->gpu ? "cuda" : "cpu"; }
const char *hp_engine_note(const hp_engine *e) { return e->note; }
