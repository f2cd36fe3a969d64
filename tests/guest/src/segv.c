/* Uncaught SIGSEGV (no handler installed): `segv` writes to NULL, `segv read`
 * loads from an unmapped low address, `segv exec` jumps to NULL. Expected:
 * "uncaught target signal 11 (Segmentation fault) - core dumped", status 139.
 * The addresses come through volatile variables: a literal NULL dereference
 * lets gcc replace the access with a trap instruction (SIGTRAP, not SIGSEGV). */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

static volatile uintptr_t null_addr = 0, low_addr = 0x10;

int main(int argc, char **argv) {
  const char *mode = argc > 1 ? argv[1] : "write";
  printf("segv: %s\n", mode);
  fflush(stdout);
  if (strcmp(mode, "read") == 0) return *(volatile int *)low_addr;
  if (strcmp(mode, "exec") == 0) {
    void (*fn)(void) = (void (*)(void))null_addr;
    fn();
    return 0;
  }
  *(volatile int *)null_addr = 1;
  printf("still alive\n");
  return 0;
}
