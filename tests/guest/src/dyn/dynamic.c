/* A dynamically linked program: the dynamic loader from the sysroot (-L),
 * AT_BASE, shared objects mapped with their segments' permissions (seen in
 * /proc/self/maps and through dl_iterate_phdr), dlopen/dlsym/dlclose of
 * libm at run time, thread-local storage in the initial and a dlopen'ed
 * object, /proc/self/exe, and a few libc calls that go through the PLT.
 *
 * Usage: dynamic (no arguments; exit status 0, 1 if a check fails).
 * Output holds only names and relations, never addresses. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <elf.h>
#include <link.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <unistd.h>

static int failures;
static void check(int ok, const char *what) {
  printf("%s %s\n", ok ? "ok  " : "FAIL", what);
  if (!ok) failures++;
}

static const char *base(const char *path) {
  const char *s = strrchr(path, '/');
  return s ? s + 1 : path;
}

struct seen {
  int objects, libc, ld, exec_loads, phdr_ok;
  ElfW(Addr) ld_addr;
};

static int each(struct dl_phdr_info *info, size_t size, void *data) {
  struct seen *s = data;
  (void)size;
  s->objects++;
  const char *name = base(info->dlpi_name);
  if (strcmp(name, "libc.so.6") == 0) s->libc = 1;
  if (strncmp(name, "ld-linux-riscv64", 16) == 0) {
    s->ld = 1;
    s->ld_addr = info->dlpi_addr;
  }
  for (int i = 0; i < info->dlpi_phnum; i++) {
    if (info->dlpi_phdr[i].p_type == PT_LOAD && (info->dlpi_phdr[i].p_flags & PF_X)) s->exec_loads++;
  }
  s->phdr_ok &= info->dlpi_phnum > 0;
  return 0;
}

/* The permissions of the mappings of one object in /proc/self/maps, as a set of "r-xp"-like words. */
static void maps_of(const char *object, char *out, size_t n) {
  FILE *f = fopen("/proc/self/maps", "r");
  char line[512];
  out[0] = 0;
  while (f && fgets(line, sizeof line, f)) {
    char *path = strchr(line, '/');
    if (!path) continue;
    path[strcspn(path, "\n")] = 0;
    if (strcmp(base(path), object) != 0) continue;
    char perms[5];
    if (sscanf(line, "%*s %4s", perms) != 1) continue;
    if (!strstr(out, perms) && strlen(out) + 6 < n) {
      strcat(out, perms);
      strcat(out, " ");
    }
  }
  if (f) fclose(f);
}

static __thread int tls_value = 41;

int main(void) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  struct seen s = {0, 0, 0, 0, 1, 0};
  dl_iterate_phdr(each, &s);
  check(s.libc && s.ld && s.objects >= 3, "dl_iterate_phdr: the program, libc.so.6 and the dynamic loader");
  check(s.exec_loads >= 3 && s.phdr_ok, "every object has an executable PT_LOAD");
  check(getauxval(AT_BASE) != 0 && getauxval(AT_BASE) == s.ld_addr, "AT_BASE is where the dynamic loader is");
  check(getauxval(AT_ENTRY) != 0 && getauxval(AT_PHDR) != 0, "AT_ENTRY and AT_PHDR are set");
  char perms[64];
  maps_of("libc.so.6", perms, sizeof perms);
  check(strstr(perms, "r-xp") && strstr(perms, "rw-p"), "libc.so.6 is mapped executable and writable in parts");
  check(strstr(perms, "r--p") != NULL, "libc.so.6 has a read-only part (RELRO)");
  printf("libc.so.6 mappings: %s\n", perms);

  void *m = dlopen("libm.so.6", RTLD_NOW);
  check(m != NULL, "dlopen libm.so.6");
  if (m) {
    double (*cosine)(double) = (double (*)(double))dlsym(m, "cos");
    double (*power)(double, double) = (double (*)(double, double))dlsym(m, "pow");
    check(cosine && power, "dlsym cos and pow");
    if (cosine && power) printf("cos(1) = %.17g, pow(2, 0.5) = %.17g\n", cosine(1.0), power(2.0, 0.5));
    maps_of("libm.so.6", perms, sizeof perms);
    check(strstr(perms, "r-xp") != NULL, "libm.so.6 is mapped executable after dlopen");
    check(dlsym(m, "no_such_symbol") == NULL && dlerror() != NULL, "dlsym of a missing symbol fails with a message");
    check(dlclose(m) == 0, "dlclose");
  }
  check(dlopen("libdoes-not-exist.so.9", RTLD_NOW) == NULL, "dlopen of a missing library fails");

  tls_value++;
  check(tls_value == 42, "initial-exec TLS");
  char exe[4096];
  ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
  if (n > 0) exe[n] = 0;
  check(n > 0 && strcmp(base(exe), "dynamic") == 0, "/proc/self/exe names the program, not the loader");
  char *dup = strdup("plume");
  check(dup && strcmp(dup, "plume") == 0 && sqrt(2.0) > 1.41, "calls through the PLT");
  free(dup);
  printf("dynamic: %d failure(s)\n", failures);
  return failures != 0;
}
