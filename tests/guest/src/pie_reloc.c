/* Static-PIE start-up without libc (tiny runtime): the loader must map the
 * program at some base, point AT_PHDR/AT_ENTRY at the loaded image and leave
 * AT_BASE 0 (no interpreter); the program applies its own R_RISCV_RELATIVE
 * relocations, so pointer tables in .data and .data.rel.ro must then hold
 * correct absolute addresses. Prints only relations, never addresses. */
#include <elf.h>

#include "lib/out.h"

static int failures;

static void check(const char *what, int ok) {
  out_str(what);
  for (size_t n = strlen(what); n < 56; n++) out_char(' ');
  out_str(ok ? " ok\n" : " FAIL\n");
  if (!ok) failures++;
}

static int one(void) { return 1; }
static int two(void) { return 2; }
static int three(void) { return 3; }

/* Each entry needs a run-time relocation in a position-independent image. */
static int (*const table[])(void) = {one, two, three};
static const char *const words[] = {"alpha", "beta", "gamma"};
static const char *const *words_ptr = words;
static int counter = 40;
static int *counter_ptr = &counter;

int main(int argc, char **argv) {
  extern const Elf64_Ehdr __ehdr_start;
  extern char _start[];
  unsigned long base = tiny_load_base;
  check("loaded at a page-aligned base", base != 0 && (base & 4095) == 0);
  check("ELF header at the base is an ET_DYN image", __ehdr_start.e_type == ET_DYN && __ehdr_start.e_ident[0] == 0x7f);
  check("AT_PHDR is base + e_phoff", tiny_getauxval(AT_PHDR) == base + __ehdr_start.e_phoff);
  check("AT_PHNUM matches e_phnum", tiny_getauxval(AT_PHNUM) == __ehdr_start.e_phnum);
  check("AT_ENTRY is _start", tiny_getauxval(AT_ENTRY) == (unsigned long)_start);
  check("AT_ENTRY is base + e_entry", tiny_getauxval(AT_ENTRY) == base + __ehdr_start.e_entry);
  check("AT_BASE is 0 (no interpreter)", tiny_getauxval(AT_BASE) == 0);
  check("AT_PAGESZ is 4096", tiny_getauxval(AT_PAGESZ) == 4096);

  /* Read the tables through volatile pointers so the compiler cannot fold the
   * loads into constants and skip the relocated words. */
  int (*const *volatile tp)(void) = table;
  const char *const *volatile wp = words;
  const char *const *const *volatile wpp = &words_ptr;
  int *volatile *volatile cpp = &counter_ptr;
  int sum = 0;
  for (int i = 0; i < 3; i++) sum = sum * 10 + tp[i]();
  check("function pointer table relocated (123)", sum == 123);
  check("string pointer table relocated", (*wpp)[2][0] == 'g' && wp[0][4] == 'a' && strlen(wp[1]) == 4);
  **cpp += 2;
  check("data pointer relocated", counter == 42);

  out_str("argc=");
  out_u64((uint64_t)argc);
  for (int i = 1; i < argc; i++) {
    out_str(" argv[");
    out_u64((uint64_t)i);
    out_str("]=");
    out_str(argv[i]);
  }
  out_str("\nfailures: ");
  out_u64((uint64_t)failures);
  out_char('\n');
  out_flush();
  return failures != 0;
}
