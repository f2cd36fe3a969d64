/*
 * The threaded program tests/gdb_test.ts debugs with gdb-multiarch under
 * plume's gdb stub: two threads that each call worker_step once, so that a
 * breakpoint there stops in a thread other than the main one.
 */
#include <pthread.h>
#include <stdio.h>

int hits;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

__attribute__((noinline)) void worker_step(int id) {
  pthread_mutex_lock(&lock);
  hits += id;
  pthread_mutex_unlock(&lock);
}

static void *worker(void *arg) {
  worker_step((int)(long)arg);
  return NULL;
}

int main(void) {
  pthread_t t[2];
  for (long i = 0; i < 2; i++) pthread_create(&t[i], NULL, worker, (void *)(i + 1));
  for (int i = 0; i < 2; i++) pthread_join(t[i], NULL);
  printf("hits: %d\n", hits);
  return 0;
}
