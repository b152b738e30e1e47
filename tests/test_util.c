/* Utilities: SHA-256 against FIPS 180-4 test vectors, atomic files, counter-based RNG. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "util/atomic_file.h"
#include "util/memory.h"
#include "util/rng.h"
#include "util/sha256.h"

static void test_sha256_vectors(void **state) {
  (void)state;
  char h[65];
  hp_sha256_hex("abc", 3, h);
  assert_string_equal(h, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  hp_sha256_hex("", 0, h);
  assert_string_equal(h, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  const char *two = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"; /* 2 blocks */
  hp_sha256_hex(two, strlen(two), h);
  assert_string_equal(h, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  /* a file gives the same digest as its bytes */
  char path[] = "/tmp/hp_sha_XXXXXX";
  int fd = mkstemp(path);
  assert_true(fd >= 0);
  assert_int_equal(write(fd, two, strlen(two)), (ssize_t)strlen(two));
  close(fd);
  char hf[65];
  hp_status st;
  assert_int_equal(hp_sha256_file(path, hf, &st), 0);
  assert_string_equal(hf, h);
  /* FIPS 180-2 appendix B.3: a million 'a', as bytes and as a file of 16 reads */
  const size_t mega = 1000000;
  char *a = malloc(mega);
  assert_non_null(a);
  memset(a, 'a', mega);
  const char *million = "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0";
  hp_sha256_hex(a, mega, h);
  assert_string_equal(h, million);
  FILE *fp = fopen(path, "wb");
  assert_non_null(fp);
  assert_int_equal(fwrite(a, 1, mega, fp), mega);
  fclose(fp);
  free(a);
  assert_int_equal(hp_sha256_file(path, hf, &st), 0);
  assert_string_equal(hf, million);
  unlink(path);
  assert_int_equal(hp_sha256_file(path, hf, &st), HP_ERR_IO);
  assert_non_null(strstr(st.msg, path));
}

static void test_atomic_file(void **state) {
  (void)state;
  char dir[] = "/tmp/hp_atomic_XXXXXX", path[256];
  assert_non_null(mkdtemp(dir));
  snprintf(path, sizeof path, "%s/out.txt", dir);
  hp_atomic_file f;
  hp_status st;
  assert_int_equal(hp_atomic_begin(&f, path, &st), 0);
  FILE *fp = fopen(f.tmp_path, "w");
  fputs("x", fp);
  fclose(fp);
  assert_int_equal(access(path, F_OK), -1); /* nothing under the final name yet */
  assert_int_equal(hp_atomic_commit(&f, &st), 0);
  assert_int_equal(access(path, F_OK), 0);
  assert_int_equal(access(f.tmp_path, F_OK), -1);
  /* abort removes the temporary and leaves the old file alone */
  assert_int_equal(hp_atomic_begin(&f, path, &st), 0);
  fp = fopen(f.tmp_path, "w");
  fclose(fp);
  hp_atomic_abort(&f);
  assert_int_equal(access(f.tmp_path, F_OK), -1);
  assert_int_equal(access(path, F_OK), 0);
  unlink(path);
  rmdir(dir);
}

static void test_rng_uniform(void **state) {
  (void)state;
  const uint64_t key = hp_rng_key(42, 1);
  double m = 0, m2 = 0;
  const int n = 1000000;
  for (int i = 0; i < n; i++) {
    const double u = hp_rng_uniform(hp_rng_at(key, (uint64_t)i, 0));
    assert_true(u > 0 && u < 1);
    m += u, m2 += u * u;
  }
  m /= n, m2 /= n;
  assert_float_equal(m, 0.5, 3e-3);
  assert_float_equal(m2 - m * m, 1.0 / 12, 2e-3);
  assert_true(hp_rng_at(key, 1, 0) != hp_rng_at(key, 0, 1)); /* counters are not symmetric */
  assert_true(hp_rng_key(42, 1) != hp_rng_key(43, 1));
}

static void put(const char *dir, const char *rel, const char *text) {
  char path[1024], cmd[1200];
  snprintf(path, sizeof path, "%s/%s", dir, rel);
  snprintf(cmd, sizeof cmd, "mkdir -p \"$(dirname '%s')\"", path);
  assert_int_equal(system(cmd), 0);
  FILE *f = fopen(path, "w");
  assert_non_null(f);
  fputs(text, f);
  fclose(f);
}

/* The memory a run may take: the container's limit wins over the machine's MemAvailable. */
static void test_memory_available(void **state) {
  (void)state;
  char root[] = "/tmp/hp_test_mem.XXXXXX", proc[300], cg[300], cmd[400];
  assert_non_null(mkdtemp(root));
  snprintf(proc, sizeof proc, "%s/proc", root);
  snprintf(cg, sizeof cg, "%s/cg", root);
  put(proc, "meminfo", "MemTotal: 16000000 kB\nMemAvailable: 8000000 kB\n");
  /* no cgroup file: MemAvailable */
  assert_true(hp_memory_available_at(proc, cg) == 8000000 * 1024.0);
  /* v2, a group with 400 MB left; the same group unlimited */
  put(proc, "self/cgroup", "0::/job/step\n");
  put(cg, "job/step/memory.max", "500000000\n");
  put(cg, "job/step/memory.current", "100000000\n");
  assert_true(hp_memory_available_at(proc, cg) == 400000000.0);
  put(cg, "job/step/memory.max", "max\n");
  assert_true(hp_memory_available_at(proc, cg) == 8000000 * 1024.0);
  /* v1 inside a container: the group's path is not mounted, its root holds the limit */
  put(proc, "self/cgroup", "4:memory:/process_api/abc\n3:cpuset:/\n");
  put(cg, "memory/memory.limit_in_bytes", "300000000\n");
  put(cg, "memory/memory.usage_in_bytes", "250000000\n");
  assert_true(hp_memory_available_at(proc, cg) == 50000000.0);
  /* v1 "unlimited" (the page-rounded 2^63) */
  put(cg, "memory/memory.limit_in_bytes", "9223372036854771712\n");
  assert_true(hp_memory_available_at(proc, cg) == 8000000 * 1024.0);
  /* this machine: something positive */
  assert_true(hp_memory_available() > 0);
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
  assert_int_equal(system(cmd), 0);
}

static int count_tmp(const char *dir) {
  char cmd[512];
  snprintf(cmd, sizeof cmd, "ls '%s' | grep -c '\\.tmp\\.' > '%s.count'", dir, dir);
  if (system(cmd) < 0) return -1;
  snprintf(cmd, sizeof cmd, "%s.count", dir);
  FILE *f = fopen(cmd, "r");
  int n = -1;
  if (f && fscanf(f, "%d", &n) != 1) n = -1;
  if (f) fclose(f);
  remove(cmd);
  return n;
}

/* A writer killed by SIGTERM leaves no temporary and dies of the signal; the temporary of a
 * writer that died without cleaning up is swept by the next writer of the same path; a live
 * writer's is kept. */
static void test_atomic_signals_and_stale(void **state) {
  (void)state;
  char dir[] = "/tmp/hp_test_sig.XXXXXX", out[300], cmd[400];
  assert_non_null(mkdtemp(dir));
  snprintf(out, sizeof out, "%s/out.h5", dir);
  pid_t pid = fork();
  if (pid == 0) {
    hp_atomic_file f;
    hp_status st;
    hp_atomic_cleanup_on_signals();
    if (hp_atomic_begin(&f, out, &st)) _exit(3);
    FILE *fp = fopen(f.tmp_path, "w");
    if (!fp) _exit(4);
    fputs("half written", fp);
    fclose(fp);
    raise(SIGTERM);
    _exit(5);
  }
  int status = 0;
  assert_int_equal(waitpid(pid, &status, 0), pid);
  assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM);
  assert_int_equal(count_tmp(dir), 0);
  /* SIGKILL-like death: the child leaves its temporary behind */
  pid = fork();
  if (pid == 0) {
    char p[400];
    snprintf(p, sizeof p, "%s.tmp.%ld", out, (long)getpid());
    FILE *fp = fopen(p, "w");
    _exit(fp ? 0 : 1);
  }
  assert_int_equal(waitpid(pid, &status, 0), pid);
  char alive[400];
  snprintf(alive, sizeof alive, "%s.tmp.%ld", out, (long)getppid()); /* a live process's */
  FILE *fp = fopen(alive, "w");
  assert_non_null(fp);
  fclose(fp);
  assert_int_equal(count_tmp(dir), 2);
  hp_atomic_file f;
  hp_status st;
  assert_int_equal(hp_atomic_begin(&f, out, &st), 0);
  assert_int_equal(count_tmp(dir), 1);
  assert_int_equal(access(alive, F_OK), 0);
  hp_atomic_abort(&f);
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
  assert_int_equal(system(cmd), 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_sha256_vectors),
      cmocka_unit_test(test_atomic_file),
      cmocka_unit_test(test_rng_uniform),
      cmocka_unit_test(test_memory_available),
      cmocka_unit_test(test_atomic_signals_and_stale),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
