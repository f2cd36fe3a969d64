/* Uncaught SIGTRAP from ebreak (`ebreak c` uses c.ebreak). Expected status 133. */
#include <stdio.h>
#include <string.h>

int main(int argc, char **argv) {
  int compressed = argc > 1 && strcmp(argv[1], "c") == 0;
  printf("ebreak: %s\n", compressed ? "c.ebreak" : "ebreak");
  fflush(stdout);
  if (compressed) {
    __asm__ volatile(".option push\n.option rvc\nc.ebreak\n.option pop");
  } else {
    __asm__ volatile(".option push\n.option norvc\nebreak\n.option pop");
  }
  printf("still alive\n");
  return 0;
}
