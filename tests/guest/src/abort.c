/* abort(3) raises SIGABRT through tgkill on itself; uncaught, status 134.
 * Output written with stdio before abort() is flushed only if we flush it. */
#include <stdio.h>
#include <stdlib.h>

int main(void) {
  printf("abort: calling abort()\n");
  fflush(stdout);
  printf("this line is buffered and lost\n");
  abort();
}
