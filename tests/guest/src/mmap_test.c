/* mmap family: anonymous private mappings, munmap of a middle page, mprotect
 * (PROT_READ memory is proven unwritable by read(2) into it failing with
 * EFAULT, with no signal handler), mremap grow/shrink/move, MAP_FIXED over an
 * existing mapping, MAP_SHARED and MAP_PRIVATE file mappings of a file this
 * program creates in DIR (`mmap_test DIR`, default "."), msync, and mapping
 * past the end of a file. `mmap_test DIR fault` ends by writing to PROT_READ
 * memory: an uncaught SIGSEGV, status 139. No address is printed. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define PAGE 4096
static int failures;

static void check(const char *what, int ok) {
  printf("%-52s %s\n", what, ok ? "ok" : "FAIL");
  if (!ok) failures++;
}

/* Whether the kernel can write into [p, p+n): read(2) from a pipe into it. */
static int kernel_can_write(void *p, size_t n) {
  int fds[2];
  if (pipe(fds) != 0) return -1;
  char buf[64];
  memset(buf, 'x', sizeof buf);
  if (write(fds[1], buf, n < sizeof buf ? n : sizeof buf) < 0) return -1;
  ssize_t r = read(fds[0], p, n < sizeof buf ? n : sizeof buf);
  int e = errno;
  close(fds[0]);
  close(fds[1]);
  return r > 0 ? 1 : (e == EFAULT ? 0 : -1);
}

/* Whether [p, p+n) is readable: write(2) from it to a pipe. */
static int kernel_can_read(const void *p, size_t n) {
  int fds[2];
  if (pipe(fds) != 0) return -1;
  ssize_t r = write(fds[1], p, n);
  int e = errno;
  close(fds[0]);
  close(fds[1]);
  return r > 0 ? 1 : (e == EFAULT ? 0 : -1);
}

static void anon(void) {
  unsigned char *p = mmap(NULL, 4 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  check("mmap anonymous 4 pages", p != MAP_FAILED);
  check("  page aligned", ((uintptr_t)p & (PAGE - 1)) == 0);
  int zero = 1;
  for (int i = 0; i < 4 * PAGE; i++) zero &= p[i] == 0;
  check("  zero-filled", zero);
  for (int i = 0; i < 4 * PAGE; i++) p[i] = (unsigned char)(i * 3);
  check("munmap middle page", munmap(p + PAGE, PAGE) == 0);
  check("  unmapped page not readable (EFAULT)", kernel_can_read(p + PAGE, 16) == 0);
  check("  neighbours intact", p[0] == 0 && p[2 * PAGE] == (unsigned char)(2 * PAGE * 3) && p[4 * PAGE - 1] == (unsigned char)((4 * PAGE - 1) * 3));

  check("mprotect last page PROT_READ", mprotect(p + 3 * PAGE, PAGE, PROT_READ) == 0);
  check("  still readable", p[3 * PAGE + 1] == (unsigned char)((3 * PAGE + 1) * 3) && kernel_can_read(p + 3 * PAGE, 16) == 1);
  check("  not writable (read(2) into it gives EFAULT)", kernel_can_write(p + 3 * PAGE, 16) == 0);
  check("mprotect PROT_NONE", mprotect(p + 3 * PAGE, PAGE, PROT_NONE) == 0);
  check("  not readable", kernel_can_read(p + 3 * PAGE, 16) == 0);
  check("mprotect back to read-write", mprotect(p + 3 * PAGE, PAGE, PROT_READ | PROT_WRITE) == 0);
  p[3 * PAGE] = 42;
  check("  writable again, contents kept", p[3 * PAGE] == 42 && p[3 * PAGE + 5] == (unsigned char)((3 * PAGE + 5) * 3));
  check("munmap rest", munmap(p, PAGE) == 0 && munmap(p + 2 * PAGE, 2 * PAGE) == 0);
  check("munmap of unmapped range is not an error", munmap(p, 4 * PAGE) == 0);
  check("munmap unaligned address -> EINVAL", munmap(p + 1, PAGE) == -1 && errno == EINVAL);
  errno = 0;
  check("mmap length 0 -> EINVAL", mmap(NULL, 0, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0) == MAP_FAILED && errno == EINVAL);
  check("mmap bad fd -> EBADF", mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE, 1000, 0) == MAP_FAILED && errno == EBADF);
  errno = 0;
  check("mmap unknown protection bits -> EINVAL",
        mmap(NULL, PAGE, PROT_READ | 0x100, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0) == MAP_FAILED && errno == EINVAL);

  /* a large mapping touched sparsely */
  unsigned char *big = mmap(NULL, 64 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  int ok = big != MAP_FAILED;
  for (size_t i = 0; ok && i < (64u << 20); i += 1 << 20) big[i] = (unsigned char)(i >> 20);
  for (size_t i = 0; ok && i < (64u << 20); i += 1 << 20) ok &= big[i] == (unsigned char)(i >> 20);
  check("64 MiB mapping, sparse writes", ok && munmap(big, 64 << 20) == 0);
}

static void remap(void) {
  unsigned char *p = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  for (int i = 0; i < 2 * PAGE; i++) p[i] = (unsigned char)(i ^ 0x5a);
  unsigned char *q = mremap(p, 2 * PAGE, 64 * PAGE, MREMAP_MAYMOVE);
  int kept = q != MAP_FAILED;
  for (int i = 0; kept && i < 2 * PAGE; i++) kept &= q[i] == (unsigned char)(i ^ 0x5a);
  check("mremap grow (may move) keeps contents", kept);
  int zero = 1;
  for (int i = 2 * PAGE; kept && i < 64 * PAGE; i++) zero &= q[i] == 0;
  check("  new part zero-filled", kept && zero);
  q[64 * PAGE - 1] = 9;
  unsigned char *r = mremap(q, 64 * PAGE, PAGE, 0);
  check("mremap shrink in place", r == q && r[PAGE - 1] == (unsigned char)((PAGE - 1) ^ 0x5a));
  check("  tail released", kernel_can_read(q + 2 * PAGE, 16) == 0);

  /* move to a fixed spot: reserve a target first so the address is free */
  unsigned char *target = mmap(NULL, 4 * PAGE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  unsigned char *m = mremap(r, PAGE, PAGE, MREMAP_MAYMOVE | MREMAP_FIXED, target + PAGE);
  check("mremap MREMAP_FIXED moves", m == target + PAGE && m[5] == (unsigned char)(5 ^ 0x5a));
  check("  old address gone", kernel_can_read(r, 16) == 0);
  munmap(target, 4 * PAGE);

  /* MAP_FIXED replaces part of an existing mapping */
  unsigned char *base = mmap(NULL, 3 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  memset(base, 0x77, 3 * PAGE);
  unsigned char *fx = mmap(base + PAGE, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
  check("MAP_FIXED over existing mapping", fx == base + PAGE);
  check("  replaced page is fresh (zero), neighbours kept", fx[0] == 0 && fx[PAGE - 1] == 0 && base[0] == 0x77 && base[2 * PAGE] == 0x77);
  munmap(base, 3 * PAGE);
}

static void files(const char *dir) {
  char path[4096];
  snprintf(path, sizeof path, "%s/mmap_test.dat", dir);
  int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
  check("create data file", fd >= 0);
  if (fd < 0) return;
  char buf[3 * PAGE];
  for (int i = 0; i < (int)sizeof buf; i++) buf[i] = (char)('a' + i % 26);
  check("write 3 pages", write(fd, buf, sizeof buf) == (ssize_t)sizeof buf);

  char *priv = mmap(NULL, 3 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
  check("MAP_PRIVATE file mapping", priv != MAP_FAILED && memcmp(priv, buf, sizeof buf) == 0);
  priv[0] = 'Z';
  char c;
  pread(fd, &c, 1, 0);
  check("  private write not visible in file", c == 'a');

  char *shared = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, PAGE);
  check("MAP_SHARED at offset one page", shared != MAP_FAILED && shared[0] == buf[PAGE]);
  memcpy(shared, "SHARED!", 7);
  check("msync", msync(shared, PAGE, MS_SYNC) == 0);
  char back[8] = {0};
  pread(fd, back, 7, PAGE);
  check("  shared write visible through read(2)", memcmp(back, "SHARED!", 7) == 0);
  pwrite(fd, "pw", 2, PAGE + 10);
  check("  pwrite visible through the shared mapping", shared[10] == 'p' && shared[11] == 'w');
  check("munmap file mappings", munmap(priv, 3 * PAGE) == 0 && munmap(shared, PAGE) == 0);

  /* a mapping longer than the file: the partial last page reads zeros beyond EOF */
  ftruncate(fd, PAGE + 100);
  char *tail = mmap(NULL, 2 * PAGE, PROT_READ, MAP_PRIVATE, fd, 0);
  check("map file of PAGE+100 bytes with 2 pages", tail != MAP_FAILED);
  int zeros = 1;
  for (int i = PAGE + 100; i < 2 * PAGE; i++) zeros &= tail[i] == 0;
  check("  bytes past EOF in the last page are zero", tail[PAGE + 99] == buf[PAGE + 99] && zeros);
  munmap(tail, 2 * PAGE);

  char *ro = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, open(path, O_RDONLY), 0);
  check("MAP_SHARED+PROT_WRITE on O_RDONLY fd -> EACCES", ro == MAP_FAILED && errno == EACCES);

  /* A write through one shared mapping while a second, read-only one shows the same page: plume wrote the stale
   * second copy back over it, and the file lost the write */
  char *rw2 = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  char *ro2 = mmap(NULL, PAGE, PROT_READ, MAP_SHARED, fd, 0);
  char got[6] = {0};
  memcpy(rw2, "mixed", 5);
  check("a write beside a read-only shared mapping reaches the file", pread(fd, got, 5, 0) == 5 && memcmp(got, "mixed", 5) == 0);
  check("  and the read-only mapping shows it", msync(rw2, PAGE, MS_SYNC) == 0 && memcmp(ro2, "mixed", 5) == 0);
  munmap(ro2, PAGE);
  munmap(rw2, PAGE);
  close(fd);
  unlink(path);
}

int main(int argc, char **argv) {
  const char *dir = argc > 1 ? argv[1] : ".";
  anon();
  remap();
  files(dir);
  printf("failures: %d\n", failures);
  if (argc > 2 && strcmp(argv[2], "fault") == 0) {
    char *p = mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    printf("writing to PROT_READ memory\n");
    fflush(stdout);
    p[0] = 1;
    printf("still alive\n");
  }
  return failures != 0;
}
