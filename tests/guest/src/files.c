/* File-system system calls inside a fresh directory given as argv[1]
 * (`files DIR`): open/creat/read/write/lseek/pread/pwrite, fstat/stat/lstat/
 * fstatat (only size, file type and link count are printed: owners, times,
 * inode numbers and permission bits depend on the host), getdents64 with
 * sorted names, rename/unlink/mkdir/rmdir/symlink/readlink/link/ftruncate/
 * access, dup/dup2/dup3/fcntl, getcwd/chdir, and the errno of common
 * failures. Paths are printed relative to DIR. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

static int failures;

static void check(const char *what, int ok) {
  printf("%-56s %s\n", what, ok ? "ok" : "FAIL");
  if (!ok) failures++;
}

static const char *type_of(mode_t m) {
  if (S_ISREG(m)) return "regular";
  if (S_ISDIR(m)) return "directory";
  if (S_ISLNK(m)) return "symlink";
  if (S_ISFIFO(m)) return "fifo";
  return "other";
}

static void show_stat(const char *label, int r, const struct stat *st) {
  if (r != 0) {
    printf("%-24s error %s\n", label, strerrorname_np(errno));
    return;
  }
  /* a directory's size depends on the host file system: not printed */
  if (S_ISDIR(st->st_mode)) printf("%-24s size=- type=%s nlink=%lu\n", label, type_of(st->st_mode), (unsigned long)st->st_nlink);
  else printf("%-24s size=%lld type=%s nlink=%lu\n", label, (long long)st->st_size, type_of(st->st_mode), (unsigned long)st->st_nlink);
}

static void expect_errno(const char *what, long r, int want) {
  int e = errno;
  printf("%-56s %s\n", what, r == -1 && e == want ? strerrorname_np(e) : "FAIL");
  if (!(r == -1 && e == want)) failures++;
}

static int cmp_names(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* Lists DIR with raw getdents64, sorted, with d_type. */
static void list_dir(const char *path) {
  int fd = open(path, O_RDONLY | O_DIRECTORY);
  char buf[1024];
  char *names[64];
  int n = 0;
  long nread;
  /* a small buffer forces several getdents64 calls */
  while ((nread = syscall(SYS_getdents64, fd, buf, sizeof buf)) > 0) {
    for (long off = 0; off < nread;) {
      struct {
        unsigned long long d_ino;
        long long d_off;
        unsigned short d_reclen;
        unsigned char d_type;
        char d_name[];
      } *d = (void *)(buf + off);
      const char *t = d->d_type == DT_DIR ? "d" : d->d_type == DT_REG ? "f" : d->d_type == DT_LNK ? "l" : "?";
      if (n < 64) {
        names[n] = malloc(strlen(d->d_name) + 3);
        sprintf(names[n], "%s %s", d->d_name, t);
        n++;
      }
      off += d->d_reclen;
    }
  }
  close(fd);
  qsort(names, (size_t)n, sizeof names[0], cmp_names);
  printf("listing of %s (%d entries):", path, n);
  for (int i = 0; i < n; i++) {
    printf(" [%s]", names[i]);
    free(names[i]);
  }
  printf("\n");
}

int main(int argc, char **argv) {
  if (argc < 2) {
    printf("usage: files DIR\n");
    return 2;
  }
  check("chdir DIR", chdir(argv[1]) == 0);
  char cwd[4096];
  check("getcwd returns the directory", getcwd(cwd, sizeof cwd) != NULL && cwd[0] == '/');
  char small[2];
  expect_errno("getcwd with tiny buffer", getcwd(small, sizeof small) ? 0 : -1, ERANGE);

  /* create, write, read back */
  int fd = open("a.txt", O_RDWR | O_CREAT | O_EXCL, 0644);
  check("open O_CREAT|O_EXCL", fd >= 3);
  expect_errno("open O_EXCL on existing file", open("a.txt", O_RDWR | O_CREAT | O_EXCL, 0644), EEXIST);
  const char *text = "hello, files\nsecond line\n";
  check("write", write(fd, text, strlen(text)) == (ssize_t)strlen(text));
  check("lseek SEEK_CUR reports position", lseek(fd, 0, SEEK_CUR) == (off_t)strlen(text));
  check("lseek SEEK_SET 7", lseek(fd, 7, SEEK_SET) == 7);
  char buf[256] = {0};
  check("read after seek", read(fd, buf, 5) == 5 && memcmp(buf, "files", 5) == 0);
  check("lseek SEEK_END -5", lseek(fd, -5, SEEK_END) == (off_t)strlen(text) - 5);
  check("read at end returns the tail then 0", read(fd, buf, 100) == 5 && read(fd, buf, 100) == 0);
  check("pwrite does not move the offset", pwrite(fd, "HELLO", 5, 0) == 5 && lseek(fd, 0, SEEK_CUR) == (off_t)strlen(text));
  memset(buf, 0, sizeof buf);
  check("pread", pread(fd, buf, 12, 0) == 12 && strcmp(buf, "HELLO, files") == 0);
  check("lseek past end then write makes a hole", lseek(fd, 100, SEEK_SET) == 100 && write(fd, "X", 1) == 1);
  check("hole reads as zeros", pread(fd, buf, 10, 60) == 10 && buf[0] == 0 && buf[9] == 0);
  expect_errno("lseek to negative offset", lseek(fd, -1000, SEEK_SET), EINVAL);
  struct stat st;
  show_stat("fstat a.txt", fstat(fd, &st), &st);
  check("ftruncate to 10", ftruncate(fd, 10) == 0);
  show_stat("after ftruncate", fstat(fd, &st), &st);
  check("ftruncate to 5000 (extends)", ftruncate(fd, 5000) == 0);
  show_stat("after extend", fstat(fd, &st), &st);
  close(fd);

  /* O_APPEND and O_TRUNC */
  fd = open("a.txt", O_WRONLY | O_APPEND);
  lseek(fd, 0, SEEK_SET);
  write(fd, "tail", 4);
  close(fd);
  show_stat("after O_APPEND write", stat("a.txt", &st), &st);
  fd = creat("b.txt", 0600);
  check("creat", fd >= 0 && write(fd, "bee", 3) == 3);
  close(fd);
  fd = open("b.txt", O_RDWR | O_TRUNC);
  show_stat("after O_TRUNC", fstat(fd, &st), &st);
  close(fd);

  /* directories, links */
  check("mkdir sub", mkdir("sub", 0755) == 0);
  expect_errno("mkdir existing", mkdir("sub", 0755), EEXIST);
  check("mkdir sub/deeper", mkdir("sub/deeper", 0700) == 0);
  show_stat("stat sub", stat("sub", &st), &st);
  check("link a.txt -> hard.txt", link("a.txt", "hard.txt") == 0);
  show_stat("stat a.txt (2 links)", stat("a.txt", &st), &st);
  check("symlink a.txt <- sym", symlink("a.txt", "sym") == 0);
  check("symlink dangling <- dangling", symlink("does-not-exist", "dangling") == 0);
  show_stat("lstat sym", lstat("sym", &st), &st);
  show_stat("stat sym (follows)", stat("sym", &st), &st);
  show_stat("lstat dangling", lstat("dangling", &st), &st);
  expect_errno("stat dangling", stat("dangling", &st), ENOENT);
  char target[64] = {0};
  ssize_t len = readlink("sym", target, sizeof target);
  printf("readlink sym = %.*s (%zd)\n", (int)(len > 0 ? len : 0), target, len);
  expect_errno("readlink on a regular file", readlink("a.txt", target, sizeof target), EINVAL);
  int dfd = open("sub", O_RDONLY | O_DIRECTORY);
  check("open directory", dfd >= 0);
  fd = openat(dfd, "inner.txt", O_WRONLY | O_CREAT, 0644);
  check("openat relative to dirfd", fd >= 0 && write(fd, "inner", 5) == 5);
  close(fd);
  show_stat("fstatat sub/inner.txt", fstatat(dfd, "inner.txt", &st, 0), &st);
  show_stat("fstatat sym NOFOLLOW", fstatat(AT_FDCWD, "sym", &st, AT_SYMLINK_NOFOLLOW), &st);
  check("access a.txt R_OK|W_OK", access("a.txt", R_OK | W_OK) == 0);
  expect_errno("access missing", access("missing", F_OK), ENOENT);
  expect_errno("open missing", open("missing/x", O_RDONLY), ENOENT);
  expect_errno("open file as directory", open("a.txt/x", O_RDONLY), ENOTDIR);
  expect_errno("rmdir non-empty", rmdir("sub"), ENOTEMPTY);
  expect_errno("unlink a directory", unlink("sub"), EISDIR);
  /* A path ending in '.' or '..' names no entry to remove, and only a directory can be walked through */
  expect_errno("rmdir sub/.", rmdir("sub/."), EINVAL);
  expect_errno("rmdir .", rmdir("."), EINVAL);
  expect_errno("rmdir sub/..", rmdir("sub/.."), ENOTEMPTY);
  expect_errno("unlink sub/.", unlink("sub/."), EISDIR);
  expect_errno("open a.txt/..", open("a.txt/..", O_RDONLY), ENOTDIR);
  expect_errno("open a.txt/.", open("a.txt/.", O_RDONLY), ENOTDIR);
  expect_errno("stat a.txt/./..", stat("a.txt/./..", &st), ENOTDIR);
  check("sub is still there", stat("sub", &st) == 0 && S_ISDIR(st.st_mode));
  /* A final slash asks for a directory: it does not make rmdir or unlink follow a last symbolic link */
  check("mkdir empty, symlink to it", mkdir("empty", 0755) == 0 && symlink("empty", "to-empty") == 0);
  expect_errno("rmdir to-empty/", rmdir("to-empty/"), ENOTDIR);
  expect_errno("unlink to-empty/", unlink("to-empty/"), ENOTDIR);
  expect_errno("unlink a.txt/", unlink("a.txt/"), ENOTDIR);
  check("the directory and the link are still there",
        stat("empty", &st) == 0 && S_ISDIR(st.st_mode) && lstat("to-empty", &st) == 0 && S_ISLNK(st.st_mode));
  check("rmdir empty/ removes it", unlink("to-empty") == 0 && rmdir("empty/") == 0);
  expect_errno("read from a directory", read(dfd, buf, 10), EISDIR);
  list_dir(".");
  list_dir("sub");

  check("rename b.txt -> sub/moved.txt", rename("b.txt", "sub/moved.txt") == 0);
  check("rename over existing file", rename("hard.txt", "sub/moved.txt") == 0);
  show_stat("stat a.txt after rename", stat("a.txt", &st), &st);
  check("renameat", renameat(dfd, "inner.txt", AT_FDCWD, "inner-moved.txt") == 0);
  list_dir(".");
  list_dir("sub");

  /* fd table: dup family and fcntl */
  fd = open("a.txt", O_RDONLY);
  int d1 = dup(fd);
  check("dup returns a new fd sharing the offset", d1 > fd && lseek(fd, 3, SEEK_SET) == 3 && lseek(d1, 0, SEEK_CUR) == 3);
  int d2 = dup2(fd, 50);
  check("dup2 to 50", d2 == 50 && lseek(50, 0, SEEK_CUR) == 3);
  check("dup2 to itself", dup2(fd, fd) == fd);
  expect_errno("dup3 to itself", dup3(fd, fd, 0), EINVAL);
  check("dup3 O_CLOEXEC", dup3(fd, 51, O_CLOEXEC) == 51 && fcntl(51, F_GETFD) == FD_CLOEXEC);
  check("F_GETFD of plain dup is 0", fcntl(d1, F_GETFD) == 0);
  check("F_SETFD FD_CLOEXEC", fcntl(d1, F_SETFD, FD_CLOEXEC) == 0 && fcntl(d1, F_GETFD) == FD_CLOEXEC);
  int d3 = fcntl(fd, F_DUPFD, 60);
  check("F_DUPFD >= 60", d3 == 60);
  check("F_DUPFD_CLOEXEC", fcntl(fd, F_DUPFD_CLOEXEC, 60) == 61 && fcntl(61, F_GETFD) == FD_CLOEXEC);
  check("F_GETFL is O_RDONLY", (fcntl(fd, F_GETFL) & O_ACCMODE) == O_RDONLY);
  int wfd = open("a.txt", O_WRONLY);
  check("F_SETFL O_APPEND", fcntl(wfd, F_SETFL, O_APPEND) == 0 && (fcntl(wfd, F_GETFL) & O_APPEND) != 0);
  expect_errno("close an unopened fd", close(200), EBADF);
  expect_errno("write to a read-only fd", write(fd, "x", 1), EBADF);
  expect_errno("read from a write-only fd", read(wfd, buf, 1), EBADF);
  expect_errno("fcntl on a bad fd", fcntl(300, F_GETFD), EBADF);
  close(wfd);
  close(d1);
  close(50);
  close(51);
  close(60);
  close(61);
  close(fd);
  /* writev and readv stop at the first buffer after the first that cannot be reached (Linux, qemu); a first one
   * that cannot be reached is EFAULT */
  int vfd = open("v.txt", O_RDWR | O_CREAT | O_TRUNC, 0644);
  struct iovec wv[3] = {{"AAAA", 4}, {(void *)8, 4}, {"CC", 2}};
  check("writev with a bad second buffer writes the first", writev(vfd, wv, 3) == 4);
  expect_errno("writev with a bad first buffer", writev(vfd, wv + 1, 2), EFAULT);
  char vb[8] = {0};
  struct iovec rv[2] = {{vb, 2}, {(void *)8, 2}};
  check("readv with a bad second buffer reads into the first", pread(vfd, vb, 0, 0) == 0 && lseek(vfd, 0, SEEK_SET) == 0 &&
                                                                  readv(vfd, rv, 2) == 2 && memcmp(vb, "AA", 2) == 0);
  close(vfd);
  unlink("v.txt");

  /* A directory opened with O_TRUNC is EISDIR; O_CREAT with O_DIRECTORY is EINVAL (Linux 6.4 and later) */
  expect_errno("open a directory with O_TRUNC", open(".", O_RDONLY | O_TRUNC), EISDIR);
  expect_errno("open with O_CREAT|O_DIRECTORY", open("newdir", O_RDONLY | O_CREAT | O_DIRECTORY, 0644), EINVAL);

  /* Access mode 3 (O_ACCMODE): qemu's flag translation opens it for reading (plume stopped with an internal error) */
  int m3 = open("a.txt", O_ACCMODE);
  check("open with access mode 3 reads", m3 >= 0 && read(m3, buf, 4) == 4);
  expect_errno("and does not write", write(m3, "x", 1), EBADF);
  close(m3);
  int lowest = open("a.txt", O_RDONLY);
  int again = dup(lowest);
  close(lowest);
  int reuse = open("a.txt", O_RDONLY);
  check("lowest free fd is reused", reuse == lowest);
  close(reuse);
  close(again);

  /* fcntl's owner of a description (plume forgot it: glibc's F_GETOWN, made of F_GETOWN_EX, was EINVAL), and
   * O_ASYNC, which only a file that can signal keeps (a pipe does, a regular file does not) */
  int ow = open("a.txt", O_RDONLY);
  struct f_owner_ex owx = {99, 99};
  check("a new description's owner is none", syscall(SYS_fcntl, ow, F_GETOWN_EX, &owx) == 0 &&
                                                  owx.type == F_OWNER_TID && owx.pid == 0 && fcntl(ow, F_GETOWN) == 0);
  check("F_SETOWN a process, F_GETOWN gives it back", fcntl(ow, F_SETOWN, getpid()) == 0 && fcntl(ow, F_GETOWN) == getpid() &&
                                                         syscall(SYS_fcntl, ow, F_GETOWN_EX, &owx) == 0 &&
                                                         owx.type == F_OWNER_PID && owx.pid == getpid());
  check("a group is a negative owner", fcntl(ow, F_SETOWN, -getpgrp()) == 0 && fcntl(ow, F_GETOWN) == -getpgrp() &&
                                          syscall(SYS_fcntl, ow, F_GETOWN_EX, &owx) == 0 && owx.type == F_OWNER_PGRP);
  struct f_owner_ex owt = {F_OWNER_TID, gettid()}, owbad = {7, 0}, owgone = {F_OWNER_PID, 999999};
  check("F_SETOWN_EX a thread", fcntl(ow, F_SETOWN_EX, &owt) == 0 && syscall(SYS_fcntl, ow, F_GETOWN_EX, &owx) == 0 &&
                                   owx.type == F_OWNER_TID && fcntl(ow, F_GETOWN) == getpid());
  expect_errno("F_SETOWN_EX of an unknown type", fcntl(ow, F_SETOWN_EX, &owbad), EINVAL);
  expect_errno("F_SETOWN_EX of no process", fcntl(ow, F_SETOWN_EX, &owgone), ESRCH);
  check("O_ASYNC stays off on a regular file", fcntl(ow, F_SETFL, O_ASYNC | O_NONBLOCK) == 0 &&
                                                   fcntl(ow, F_GETFL) == (O_RDONLY | O_NONBLOCK));
  int owp[2];
  check("and on on a pipe", pipe(owp) == 0 && fcntl(owp[0], F_SETFL, O_ASYNC) == 0 && fcntl(owp[0], F_GETFL) == O_ASYNC);
  close(owp[0]);
  close(owp[1]);
  close(ow);

  /* O_PATH: a descriptor of a link itself (plume refused it: glibc's fchmodat(AT_SYMLINK_NOFOLLOW) was ELOOP), read
   * with readlinkat(fd, ""); a descriptor that only names its file has no access mode and is EBADF for what needs an
   * opened file (plume changed the mode, the offset, the flags) */
  check("symlink for O_PATH", symlink("a.txt", "plink") == 0);
  int pl = open("plink", O_PATH | O_NOFOLLOW);
  char plb[16] = {0};
  struct stat plst;
  check("O_PATH|O_NOFOLLOW opens the link", pl >= 0 && fstat(pl, &plst) == 0 && S_ISLNK(plst.st_mode));
  check("readlinkat(fd, \"\") reads it", readlinkat(pl, "", plb, sizeof plb) == 5 && memcmp(plb, "a.txt", 5) == 0);
  expect_errno("fchmodat(AT_SYMLINK_NOFOLLOW) of a link", fchmodat(AT_FDCWD, "plink", 0600, AT_SYMLINK_NOFOLLOW), EOPNOTSUPP);
  expect_errno("O_PATH|O_NOFOLLOW|O_DIRECTORY of a link", open("plink", O_PATH | O_NOFOLLOW | O_DIRECTORY), ENOTDIR);
  close(pl);
  unlink("plink");
  int pf = open("a.txt", O_PATH | O_RDWR);
  int pn;
  check("an O_PATH descriptor has no access mode", fcntl(pf, F_GETFL) == O_PATH && fcntl(pf, F_GETFD) == 0);
  expect_errno("readlinkat(fd, \"\") of a file", readlinkat(pf, "", plb, sizeof plb), ENOENT);
  expect_errno("fchmod of O_PATH", fchmod(pf, 0600), EBADF);
  expect_errno("fchown of O_PATH", fchown(pf, -1, -1), EBADF);
  expect_errno("lseek of O_PATH", lseek(pf, 0, SEEK_SET), EBADF);
  expect_errno("ftruncate of O_PATH", ftruncate(pf, 0), EBADF);
  expect_errno("FIONREAD of O_PATH", ioctl(pf, FIONREAD, &pn), EBADF);
  expect_errno("F_SETFL of O_PATH", fcntl(pf, F_SETFL, O_NONBLOCK), EBADF);
  expect_errno("mmap of O_PATH", (long)mmap(0, 4096, PROT_READ, MAP_PRIVATE, pf, 0), EBADF);
  expect_errno("fsync of O_PATH", fsync(pf), EBADF);
  close(pf);

  /* fallocate's punched hole reads as zeros (plume refused the mode), made only with FALLOC_FL_KEEP_SIZE (a zeroed
   * range is not checked: tmpfs refuses it); a pipe is ESPIPE, and posix_fadvise checks its length */
  int fa = open("fa.txt", O_RDWR | O_CREAT | O_TRUNC, 0644);
  char fab[16] = {0};
  check("write ten bytes", write(fa, "aaaaaaaaaa", 10) == 10);
  check("punch a hole", fallocate(fa, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 2, 3) == 0);
  expect_errno("punch without FALLOC_FL_KEEP_SIZE", fallocate(fa, FALLOC_FL_PUNCH_HOLE, 0, 1), EOPNOTSUPP);
  check("it reads as zeros", pread(fa, fab, 16, 0) == 10 && memcmp(fab, "aa\0\0\0aaaaa", 10) == 0);
  int fap[2];
  check("pipe for fallocate", pipe(fap) == 0);
  expect_errno("fallocate of a pipe", fallocate(fap[1], 0, 0, 10), ESPIPE);
  expect_errno("fadvise of a negative length", syscall(SYS_fadvise64, fa, 0, -1, 0), EINVAL);
  close(fap[0]);
  close(fap[1]);
  close(fa);
  unlink("fa.txt");

  /* A pipe's capacity, in pages as Linux's: a non-blocking writer gets EAGAIN once it is full (plume's pipes had no
   * bound), a write of up to PIPE_BUF goes in whole or not at all, and one byte queued takes a page */
  int cp[2];
  static char cpb[70000];
  memset(cpb, 'c', sizeof cpb);
  check("non-blocking pipe", pipe2(cp, O_NONBLOCK) == 0);
  check("F_SETPIPE_SZ 8192", fcntl(cp[1], F_SETPIPE_SZ, 8192) == 8192 && fcntl(cp[1], F_GETPIPE_SZ) == 8192);
  check("two pages fill it", write(cp[1], cpb, 4096) == 4096 && write(cp[1], cpb, 4096) == 4096);
  expect_errno("then a write", write(cp[1], cpb, 1), EAGAIN);
  expect_errno("F_SETPIPE_SZ below what is queued", fcntl(cp[1], F_SETPIPE_SZ, 4096), EBUSY);
  check("drained", read(cp[0], cpb, sizeof cpb) == 8192);
  check("one byte takes a page", write(cp[1], cpb, 1) == 1 && write(cp[1], cpb, 8192) == 4096);
  expect_errno("PIPE_BUF bytes go whole or not at all", write(cp[1], cpb, 4096), EAGAIN);
  check("drained again", read(cp[0], cpb, sizeof cpb) == 4097 && fcntl(cp[1], F_SETPIPE_SZ, 65536) == 65536);
  check("a large write takes 64 KiB", write(cp[1], cpb, sizeof cpb) == 65536);
  close(cp[0]);
  close(cp[1]);

  /* A reviewer's finds: a directory descriptor's path after the directory is removed named the guest's own
   * descriptor; a hole punched into a hole allocated blocks; an O_PATH descriptor's owner could not be set; an empty
   * write without a reader raised SIGPIPE; F_SETPIPE_SZ took -1 */
  int gone = mkdir("gone", 0755) == 0 ? open("gone", O_RDONLY | O_DIRECTORY) : -1;
  check("remove an open directory", gone >= 0 && rmdir("gone") == 0);
  expect_errno("openat in it", openat(gone, "x", O_CREAT | O_RDWR, 0600), ENOENT);
  close(gone);
  int sp = open("sparse.txt", O_RDWR | O_CREAT | O_TRUNC, 0644);
  struct stat spst;
  check("punching a sparse file allocates nothing", ftruncate(sp, 1 << 20) == 0 &&
                                                        fallocate(sp, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 0, 1 << 20) == 0 &&
                                                        fstat(sp, &spst) == 0 && spst.st_blocks == 0 && spst.st_size == 1 << 20);
  close(sp);
  unlink("sparse.txt");
  int po = open("a.txt", O_PATH);
  check("fchownat(AT_EMPTY_PATH) of an O_PATH descriptor", po >= 0 && fchownat(po, "", -1, -1, AT_EMPTY_PATH) == 0);
  close(po);
  int ep[2];
  check("an empty write without a reader is 0", pipe(ep) == 0 && close(ep[0]) == 0 && write(ep[1], "", 0) == 0);
  expect_errno("F_SETPIPE_SZ of -1", fcntl(ep[1], F_SETPIPE_SZ, -1), EINVAL);
  close(ep[1]);

  /* An attack on a descriptor's name: the file is moved away and a link to another file takes its name; fchmod of
   * the descriptor must not reach the link's target */
  int vf = open("vict.txt", O_RDWR | O_CREAT | O_TRUNC, 0600);
  close(open("other.txt", O_RDWR | O_CREAT | O_TRUNC, 0600));
  struct stat vst, ost;
  check("fchmod after a link took the name changes the file, not the link's target",
        vf >= 0 && rename("vict.txt", "vict2.txt") == 0 && symlink("other.txt", "vict.txt") == 0 && fchmod(vf, 0640) == 0 &&
            stat("vict2.txt", &vst) == 0 && stat("other.txt", &ost) == 0 && (vst.st_mode & 0777) == 0640 &&
            (ost.st_mode & 0777) == 0600);
  close(vf);
  unlink("vict.txt");
  unlink("vict2.txt");
  unlink("other.txt");

  /* readahead and sync_file_range (plume: ENOSYS): advice and a flush, with Linux's checks */
  int ra = open("a.txt", O_RDWR), raw = open("a.txt", O_WRONLY), rap[2];
  check("readahead of a file", pipe(rap) == 0 && readahead(ra, 0, 4096) == 0);
  expect_errno("readahead of a file open for writing only", readahead(raw, 0, 4096), EBADF);
  expect_errno("readahead of a pipe", readahead(rap[0], 0, 4096), EINVAL);
  check("sync_file_range of a file", sync_file_range(ra, 0, 3, SYNC_FILE_RANGE_WRITE | SYNC_FILE_RANGE_WAIT_AFTER) == 0);
  expect_errno("sync_file_range of a pipe", sync_file_range(rap[1], 0, 0, SYNC_FILE_RANGE_WRITE), ESPIPE);
  expect_errno("sync_file_range with unknown flags", sync_file_range(ra, 0, 0, 8), EINVAL);
  expect_errno("sync_file_range of a negative offset", sync_file_range(ra, -1, 0, 0), EINVAL);
  close(ra);
  close(raw);
  close(rap[0]);
  close(rap[1]);

  /* A descriptor follows its file across a rename and an unlink: plume acted on the name the file was opened by, so
   * fchmod, futimens, fchdir and openat changed the file (or directory) that had that name now */
  int mv = open("mv.txt", O_RDWR | O_CREAT | O_TRUNC, 0600);
  check("rename an open file, another takes its name",
        rename("mv.txt", "moved-mv.txt") == 0 && close(open("mv.txt", O_RDWR | O_CREAT, 0600)) == 0);
  struct stat mva, mvb;
  check("fchmod changes the renamed file only", fchmod(mv, 0640) == 0 && stat("mv.txt", &mva) == 0 &&
                                                     stat("moved-mv.txt", &mvb) == 0 && (mva.st_mode & 0777) == 0600 &&
                                                     (mvb.st_mode & 0777) == 0640);
  struct timespec mvt[2] = {{1000000, 0}, {2000000, 0}};
  check("futimens too", futimens(mv, mvt) == 0 && stat("mv.txt", &mva) == 0 && stat("moved-mv.txt", &mvb) == 0 &&
                            mva.st_mtime != 2000000 && mvb.st_mtime == 2000000);
  char mvlink[64], mvname[4096];
  snprintf(mvlink, sizeof mvlink, "/proc/self/fd/%d", mv);
  ssize_t mvn = readlink(mvlink, mvname, sizeof mvname - 1);
  mvname[mvn < 0 ? 0 : mvn] = 0;
  check("its /proc/self/fd link names the new name", mvn > 0 && strstr(mvname, "/moved-mv.txt") != NULL);
  check("unlinked, fchmod changes it still", unlink("moved-mv.txt") == 0 && fchmod(mv, 0604) == 0 &&
                                                 fstat(mv, &mvb) == 0 && (mvb.st_mode & 0777) == 0604 &&
                                                 mvb.st_nlink == 0 && stat("mv.txt", &mva) == 0 &&
                                                 (mva.st_mode & 0777) == 0600);
  mvn = readlink(mvlink, mvname, sizeof mvname - 1);
  mvname[mvn < 0 ? 0 : mvn] = 0;
  check("and its link says it is deleted", mvn > 0 && strstr(mvname, "/moved-mv.txt (deleted)") != NULL);
  close(mv);
  unlink("mv.txt");
  int mvd = mkdir("mvd", 0755) == 0 ? open("mvd", O_RDONLY | O_DIRECTORY) : -1;
  check("rename an open directory, another takes its name",
        mvd >= 0 && rename("mvd", "moved-mvd") == 0 && mkdir("mvd", 0755) == 0);
  check("openat creates in the renamed directory", close(openat(mvd, "in", O_CREAT | O_RDWR, 0600)) == 0 &&
                                                       access("moved-mvd/in", F_OK) == 0 && access("mvd/in", F_OK) != 0);
  check("fchdir enters it", fchdir(mvd) == 0 && access("in", F_OK) == 0 && chdir("..") == 0);
  check("remove them", unlink("moved-mvd/in") == 0 && rmdir("moved-mvd") == 0 && rmdir("mvd") == 0);
  close(mvd);

  /* cleanup, so the directory ends empty as it started */
  check("unlink everything", unlink("a.txt") == 0 && unlink("sym") == 0 && unlink("dangling") == 0 &&
                                 unlink("sub/moved.txt") == 0 && unlink("inner-moved.txt") == 0);
  check("rmdir sub/deeper and sub", rmdir("sub/deeper") == 0 && rmdir("sub") == 0);
  close(dfd);
  list_dir(".");
  check("chdir ..", chdir("..") == 0);
  printf("failures: %d\n", failures);
  return failures != 0;
}
