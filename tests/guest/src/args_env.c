/* Process start-up state: argc/argv, selected environment variables and the
 * deterministic auxiliary-vector entries. Addresses are never printed, only
 * their relations (AT_ENTRY is _start, AT_PHDR is the loaded program header
 * table), and AT_RANDOM is checked for 16 readable bytes, not printed. */
#include <elf.h>
#include <link.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <unistd.h>

extern char **environ;
extern const ElfW(Ehdr) __ehdr_start;
extern char _start[];

static const char *const vars[] = {"PATH", "LANG", "PLUME_TEST", "PLUME_EMPTY", "PLUME_UNSET", "PLUME_UTF8"};

static void print_escaped(const char *s) {
  putchar('"');
  for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
    if (*p < 0x20 || *p >= 0x7f || *p == '"' || *p == '\\') printf("\\x%02x", *p);
    else putchar(*p);
  }
  putchar('"');
}

int main(int argc, char **argv) {
  printf("argc=%d\n", argc);
  for (int i = 0; i < argc; i++) {
    printf("argv[%d]=", i);
    print_escaped(argv[i]);
    putchar('\n');
  }
  printf("argv[argc] is NULL: %s\n", argv[argc] == NULL ? "yes" : "no");

  int envc = 0;
  for (char **e = environ; *e; e++) envc++;
  printf("envc=%d\n", envc);
  printf("envp follows argv: %s\n", environ == argv + argc + 1 ? "yes" : "no");
  for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++) {
    const char *v = getenv(vars[i]);
    printf("%s", vars[i]);
    if (v) {
      putchar('=');
      print_escaped(v);
      putchar('\n');
    } else {
      printf(" unset\n");
    }
  }

  printf("AT_PAGESZ=%lu\n", getauxval(AT_PAGESZ));
  printf("AT_PHENT=%lu (sizeof Phdr %zu)\n", getauxval(AT_PHENT), sizeof(ElfW(Phdr)));
  printf("AT_PHNUM=%lu (e_phnum %u)\n", getauxval(AT_PHNUM), (unsigned)__ehdr_start.e_phnum);
  printf("AT_UID=%lu matches getuid: %s\n", getauxval(AT_UID), getauxval(AT_UID) == getuid() ? "yes" : "no");
  printf("AT_EUID matches geteuid: %s\n", getauxval(AT_EUID) == geteuid() ? "yes" : "no");
  printf("AT_GID matches getgid: %s\n", getauxval(AT_GID) == getgid() ? "yes" : "no");
  printf("AT_EGID matches getegid: %s\n", getauxval(AT_EGID) == getegid() ? "yes" : "no");
  printf("AT_SECURE=%lu\n", getauxval(AT_SECURE));
  printf("AT_CLKTCK=%lu\n", getauxval(AT_CLKTCK));
  printf("AT_FLAGS=%lu\n", getauxval(AT_FLAGS));
  printf("AT_BASE=%lu\n", getauxval(AT_BASE));
  printf("AT_HWCAP=%#lx\n", getauxval(AT_HWCAP));
  printf("AT_ENTRY is _start: %s\n", getauxval(AT_ENTRY) == (unsigned long)_start ? "yes" : "no");
  unsigned long phdr = (unsigned long)&__ehdr_start + __ehdr_start.e_phoff;
  printf("AT_PHDR is the program header table: %s\n", getauxval(AT_PHDR) == phdr ? "yes" : "no");

  /* Reading all 16 bytes faults if they are not mapped; the values are random. */
  const volatile unsigned char *rnd = (const volatile unsigned char *)getauxval(AT_RANDOM);
  if (rnd) {
    for (int i = 0; i < 16; i++) (void)rnd[i];
  }
  printf("AT_RANDOM: %s\n", rnd ? "16 bytes readable" : "missing");

  const char *execfn = (const char *)getauxval(AT_EXECFN);
  printf("AT_EXECFN=");
  if (execfn) print_escaped(execfn);
  else printf("missing");
  putchar('\n');
  printf("AT_EXECFN equals argv[0]: %s\n", execfn && strcmp(execfn, argv[0]) == 0 ? "yes" : "no");
  return 0;
}
