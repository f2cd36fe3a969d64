/* Uncaught SIGILL: `illegal` writes the read-only cycle CSR (what the unimp
 * pseudo-instruction encodes), `illegal zero` executes the all-zero halfword
 * (defined illegal in RVC), `illegal reserved` a 32-bit opcode the ISA
 * reserves. Expected status 132. */
#include <stdio.h>
#include <string.h>

int main(int argc, char **argv) {
  const char *mode = argc > 1 ? argv[1] : "unimp";
  printf("illegal: %s\n", mode);
  fflush(stdout);
  if (strcmp(mode, "zero") == 0) {
    __asm__ volatile(".2byte 0x0000");
  } else if (strcmp(mode, "reserved") == 0) {
    /* opcode 0x6b (custom-2 space is 0x5b; 0x6b is reserved in RV64G) */
    __asm__ volatile(".4byte 0x0000006b");
  } else {
    __asm__ volatile(".4byte 0xc0001073"); /* csrrw zero, cycle, zero */
  }
  printf("still alive\n");
  return 0;
}
