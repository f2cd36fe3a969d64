/* POSIX threads: mutexes, condition variables (a bounded queue), rwlocks,
 * barriers, semaphores, pthread_once, thread-local storage (__thread and
 * keys with destructors), many short-lived and detached threads, atomics
 * (AMOs and LR/SC compare-and-swap loops) from several threads, a CPU-bound
 * parallel computation checked against the serial one, pthread_kill to one
 * thread, cancellation of a thread blocked in read(2), pipes and poll(2)
 * between threads, sleeping threads, sched_yield.
 *
 * Usage: threads [all|exit|main-exit|deadlock]
 *   all        every check, exit 0 (1 if one fails)
 *   exit       a thread calls exit(3) while main waits in pthread_join: status 3
 *   main-exit  main calls pthread_exit; the last thread prints and the status is 0
 *   deadlock   two threads lock two mutexes in opposite orders (hangs under qemu;
 *              plume reports the deadlock and exits with status 1)
 *
 * Output holds only results and relations, never timings or ids. */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static int failures;
static void check(int ok, const char *what) {
  printf("%s %s\n", ok ? "ok  " : "FAIL", what);
  if (!ok) failures++;
}

#define NT 4

/* ---- mutex ---------------------------------------------------------------- */

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static long counter;

static void *mutex_worker(void *arg) {
  long n = (long)arg;
  for (long i = 0; i < n; i++) {
    pthread_mutex_lock(&lock);
    counter++;
    pthread_mutex_unlock(&lock);
  }
  return NULL;
}

static void mutexes(void) {
  pthread_t t[NT];
  for (int i = 0; i < NT; i++) pthread_create(&t[i], NULL, mutex_worker, (void *)50000L);
  for (int i = 0; i < NT; i++) pthread_join(t[i], NULL);
  check(counter == NT * 50000L, "mutex: 4 threads x 50000 increments");
  pthread_mutex_t rec;
  pthread_mutexattr_t a;
  pthread_mutexattr_init(&a);
  pthread_mutexattr_settype(&a, PTHREAD_MUTEX_RECURSIVE);
  pthread_mutex_init(&rec, &a);
  pthread_mutex_lock(&rec);
  check(pthread_mutex_lock(&rec) == 0 && pthread_mutex_trylock(&rec) == 0, "recursive mutex relocks");
  pthread_mutex_unlock(&rec);
  pthread_mutex_unlock(&rec);
  pthread_mutex_unlock(&rec);
  pthread_mutex_t ec;
  pthread_mutexattr_settype(&a, PTHREAD_MUTEX_ERRORCHECK);
  pthread_mutex_init(&ec, &a);
  pthread_mutex_lock(&ec);
  check(pthread_mutex_lock(&ec) == EDEADLK, "error-checking mutex: EDEADLK on relock");
  pthread_mutex_unlock(&ec);
}

/* ---- condition variables: a bounded queue ------------------------------------- */

#define QCAP 8
static int queue[QCAP], qhead, qlen;
static pthread_cond_t not_empty = PTHREAD_COND_INITIALIZER, not_full = PTHREAD_COND_INITIALIZER;

static void *producer(void *arg) {
  int base = (int)(long)arg;
  for (int i = 1; i <= 2000; i++) {
    pthread_mutex_lock(&lock);
    while (qlen == QCAP) pthread_cond_wait(&not_full, &lock);
    queue[(qhead + qlen++) % QCAP] = base + i;
    pthread_cond_signal(&not_empty);
    pthread_mutex_unlock(&lock);
  }
  return NULL;
}

static void *consumer(void *arg) {
  long sum = 0;
  for (int i = 0; i < 2000; i++) {
    pthread_mutex_lock(&lock);
    while (qlen == 0) pthread_cond_wait(&not_empty, &lock);
    sum += queue[qhead];
    qhead = (qhead + 1) % QCAP;
    qlen--;
    pthread_cond_signal(&not_full);
    pthread_mutex_unlock(&lock);
  }
  *(long *)arg = sum;
  return NULL;
}

static void condvars(void) {
  pthread_t p[2], c[2];
  long sums[2];
  pthread_create(&p[0], NULL, producer, (void *)0L);
  pthread_create(&p[1], NULL, producer, (void *)100000L);
  pthread_create(&c[0], NULL, consumer, &sums[0]);
  pthread_create(&c[1], NULL, consumer, &sums[1]);
  for (int i = 0; i < 2; i++) pthread_join(p[i], NULL);
  for (int i = 0; i < 2; i++) pthread_join(c[i], NULL);
  long want = 2 * (2000L * 2001 / 2) + 100000L * 2000;
  check(sums[0] + sums[1] == want && qlen == 0, "condvar: 2 producers, 2 consumers, 8-slot queue, all items once");

  /* A timed wait that times out. */
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  ts.tv_nsec += 20 * 1000 * 1000;
  if (ts.tv_nsec >= 1000000000) ts.tv_sec++, ts.tv_nsec -= 1000000000;
  pthread_mutex_lock(&lock);
  int r = pthread_cond_timedwait(&not_empty, &lock, &ts);
  pthread_mutex_unlock(&lock);
  check(r == ETIMEDOUT, "pthread_cond_timedwait: ETIMEDOUT");
}

/* ---- rwlock, barrier, semaphore, once ------------------------------------------ */

static pthread_rwlock_t rw = PTHREAD_RWLOCK_INITIALIZER;
static pthread_barrier_t barrier;
static sem_t sem;
static pthread_once_t once = PTHREAD_ONCE_INIT;
static atomic_int once_runs, readers_inside, max_readers, after_barrier;
static long shared_value;

static void init_once(void) { atomic_fetch_add(&once_runs, 1); }

static void *sync_worker(void *arg) {
  long id = (long)arg;
  pthread_once(&once, init_once);
  for (int i = 0; i < 200; i++) {
    if (i % 10 == (int)id) {
      pthread_rwlock_wrlock(&rw);
      shared_value += id + 1;
      pthread_rwlock_unlock(&rw);
    } else {
      pthread_rwlock_rdlock(&rw);
      int in = atomic_fetch_add(&readers_inside, 1) + 1;
      int m = atomic_load(&max_readers);
      while (in > m && !atomic_compare_exchange_weak(&max_readers, &m, in)) {
      }
      atomic_fetch_sub(&readers_inside, 1);
      pthread_rwlock_unlock(&rw);
    }
  }
  pthread_barrier_wait(&barrier);
  atomic_fetch_add(&after_barrier, 1);
  sem_post(&sem);
  return NULL;
}

static void sync_objects(void) {
  pthread_barrier_init(&barrier, NULL, NT);
  sem_init(&sem, 0, 0);
  pthread_t t[NT];
  for (long i = 0; i < NT; i++) pthread_create(&t[i], NULL, sync_worker, (void *)i);
  for (int i = 0; i < NT; i++) sem_wait(&sem);
  check(atomic_load(&after_barrier) == NT, "barrier and semaphore: all 4 passed and posted");
  for (int i = 0; i < NT; i++) pthread_join(t[i], NULL);
  check(once_runs == 1, "pthread_once: ran once");
  check(shared_value == 20 * (1 + 2 + 3 + 4), "rwlock: writers' updates all kept");
  check(max_readers >= 1 && readers_inside == 0, "rwlock: readers balanced");
  check(sem_trywait(&sem) == -1 && errno == EAGAIN, "sem_trywait on 0: EAGAIN");
}

/* ---- thread-local storage ------------------------------------------------------- */

static __thread long tls_counter = 1000;
static __thread char tls_name[16] = "main";
static pthread_key_t key;
static atomic_int destructor_runs;
static atomic_long destructor_sum;

static void key_destructor(void *p) {
  atomic_fetch_add(&destructor_runs, 1);
  atomic_fetch_add(&destructor_sum, (long)(intptr_t)p);
}

static void *tls_worker(void *arg) {
  long id = (long)arg;
  snprintf(tls_name, sizeof tls_name, "t%ld", id);
  for (int i = 0; i < 100; i++) tls_counter += id;
  pthread_setspecific(key, (void *)(intptr_t)(id + 1));
  sched_yield();
  long ok = tls_counter == 1000 + 100 * id && strcmp(tls_name, (char[]){'t', (char)('0' + id), 0}) == 0 &&
            (intptr_t)pthread_getspecific(key) == id + 1;
  return (void *)ok;
}

static void thread_local_storage(void) {
  pthread_key_create(&key, key_destructor);
  pthread_t t[NT];
  for (long i = 0; i < NT; i++) pthread_create(&t[i], NULL, tls_worker, (void *)i);
  long all = 1;
  for (int i = 0; i < NT; i++) {
    void *r;
    pthread_join(t[i], &r);
    all &= (long)r;
  }
  check(all, "__thread variables and pthread keys are per thread");
  check(tls_counter == 1000 && strcmp(tls_name, "main") == 0, "main's __thread values untouched");
  check(destructor_runs == NT && destructor_sum == 1 + 2 + 3 + 4, "key destructors ran once per thread");
}

/* ---- many threads ------------------------------------------------------------------ */

static atomic_int detached_done;
static void *ret_arg(void *arg) { return arg; }
static void *detached(void *arg) {
  (void)arg;
  atomic_fetch_add(&detached_done, 1);
  sem_post(&sem);
  return NULL;
}

static void many_threads(void) {
  long sum = 0;
  for (long i = 0; i < 500; i++) {
    pthread_t t;
    void *r;
    if (pthread_create(&t, NULL, ret_arg, (void *)i) != 0) break;
    pthread_join(t, &r);
    sum += (long)r;
  }
  check(sum == 499L * 500 / 2, "500 short-lived threads created and joined");
  pthread_attr_t a;
  pthread_attr_init(&a);
  pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED);
  pthread_attr_setstacksize(&a, 64 * 1024);
  for (int i = 0; i < 64; i++) {
    pthread_t t;
    pthread_create(&t, &a, detached, NULL);
  }
  for (int i = 0; i < 64; i++) sem_wait(&sem);
  check(detached_done == 64, "64 detached threads with 64 KiB stacks ran");
  /* Many alive at once. */
  pthread_t t[48];
  for (long i = 0; i < 48; i++) pthread_create(&t[i], &a, ret_arg, (void *)i);
  check(1, "48 threads alive at once");
}

/* ---- atomics across threads ------------------------------------------------------ */

static atomic_long amo_counter;
static long cas_counter;
static int32_t cas32;

static void *atomic_worker(void *arg) {
  (void)arg;
  for (int i = 0; i < 50000; i++) {
    atomic_fetch_add(&amo_counter, 1);
    long old = __atomic_load_n(&cas_counter, __ATOMIC_RELAXED);
    while (!__atomic_compare_exchange_n(&cas_counter, &old, old + 2, 1, __ATOMIC_SEQ_CST, __ATOMIC_RELAXED)) {
    }
    int32_t o32 = __atomic_load_n(&cas32, __ATOMIC_RELAXED);
    while (!__atomic_compare_exchange_n(&cas32, &o32, o32 - 1, 0, __ATOMIC_ACQ_REL, __ATOMIC_RELAXED)) {
    }
  }
  return NULL;
}

static void atomics(void) {
  pthread_t t[NT];
  for (int i = 0; i < NT; i++) pthread_create(&t[i], NULL, atomic_worker, NULL);
  for (int i = 0; i < NT; i++) pthread_join(t[i], NULL);
  check(amo_counter == NT * 50000L, "amoadd.d from 4 threads");
  check(cas_counter == NT * 100000L, "lr.d/sc.d compare-and-swap loops from 4 threads");
  check(cas32 == -NT * 50000, "lr.w/sc.w compare-and-swap loops from 4 threads");
}

/* ---- CPU-bound parallel work -------------------------------------------------------- */

static uint64_t mix(uint64_t x) {
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdull;
  x ^= x >> 33;
  x *= 0xc4ceb9fe1a85ec53ull;
  return x ^ (x >> 33);
}

struct range {
  uint64_t from, to, result;
};

static void *compute(void *arg) {
  struct range *r = arg;
  uint64_t acc = 0;
  for (uint64_t i = r->from; i < r->to; i++) acc += mix(i) % 1000003;
  r->result = acc;
  return NULL;
}

static void parallel_compute(void) {
  const uint64_t n = 400000;
  struct range whole = {0, n, 0}, parts[NT];
  compute(&whole);
  pthread_t t[NT];
  for (int i = 0; i < NT; i++) {
    parts[i] = (struct range){n * i / NT, n * (i + 1) / NT, 0};
    pthread_create(&t[i], NULL, compute, &parts[i]);
  }
  uint64_t sum = 0;
  for (int i = 0; i < NT; i++) {
    pthread_join(t[i], NULL);
    sum += parts[i].result;
  }
  printf("parallel sum of mix(i) %% 1000003 for i < %llu: %llu\n", (unsigned long long)n, (unsigned long long)sum);
  check(sum == whole.result, "4 threads agree with the serial computation");
}

/* ---- signals to threads, cancellation ------------------------------------------------- */

static atomic_long handler_tid;
static void on_usr1(int sig) {
  (void)sig;
  atomic_store(&handler_tid, (long)gettid());
}

static atomic_long worker_tid;
static sem_t started;
static void *waits_for_signal(void *arg) {
  (void)arg;
  atomic_store(&worker_tid, (long)gettid());
  sigset_t none;
  sigemptyset(&none);
  sem_post(&started);
  sigsuspend(&none);
  return (void *)1L;
}

static int cancel_pipe[2];
static atomic_int cleanup_ran;
static void cleanup(void *arg) {
  (void)arg;
  atomic_store(&cleanup_ran, 1);
}
static void *blocked_reader(void *arg) {
  (void)arg;
  char c;
  pthread_cleanup_push(cleanup, NULL);
  sem_post(&started);
  for (;;) (void)!read(cancel_pipe[0], &c, 1);
  pthread_cleanup_pop(0);
  return NULL;
}

static void thread_signals(void) {
  sem_init(&started, 0, 0);
  signal(SIGUSR1, on_usr1);
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGUSR1);
  pthread_sigmask(SIG_BLOCK, &set, NULL); /* only the worker may take it */
  pthread_t t;
  pthread_create(&t, NULL, waits_for_signal, NULL);
  sem_wait(&started);
  pthread_kill(t, SIGUSR1);
  void *r;
  pthread_join(t, &r);
  pthread_sigmask(SIG_UNBLOCK, &set, NULL);
  check(r == (void *)1L && handler_tid == worker_tid && worker_tid != gettid(),
        "pthread_kill: the handler ran on the target thread, ending its sigsuspend");

  /* kill() to the process while main blocks SIGUSR1: the other thread takes it. */
  handler_tid = 0;
  pthread_sigmask(SIG_BLOCK, &set, NULL);
  pthread_create(&t, NULL, waits_for_signal, NULL);
  sem_wait(&started);
  kill(getpid(), SIGUSR1);
  pthread_join(t, &r);
  pthread_sigmask(SIG_UNBLOCK, &set, NULL);
  check(handler_tid == worker_tid, "kill: a process signal goes to the thread that does not block it");

  if (pipe(cancel_pipe) != 0) perror("pipe");
  pthread_create(&t, NULL, blocked_reader, NULL);
  sem_wait(&started);
  pthread_cancel(t);
  pthread_join(t, &r);
  check(r == PTHREAD_CANCELED && cleanup_ran, "pthread_cancel of a thread blocked in read: cleanup ran");
}

/* ---- pipes and poll between threads ---------------------------------------------------- */

static int data_pipe[2];
static void *writer(void *arg) {
  (void)arg;
  unsigned char buf[3000];
  for (int round = 0; round < 300; round++) {
    for (int i = 0; i < (int)sizeof buf; i++) buf[i] = (unsigned char)(round * 7 + i);
    size_t off = 0;
    while (off < sizeof buf) off += write(data_pipe[1], buf + off, sizeof buf - off);
    if (round % 50 == 0) usleep(1000);
  }
  close(data_pipe[1]);
  return NULL;
}

static void pipes(void) {
  if (pipe(data_pipe) != 0) perror("pipe");
  struct pollfd p = {data_pipe[0], POLLIN, 0};
  check(poll(&p, 1, 0) == 0, "poll: an empty pipe is not readable");
  pthread_t t;
  pthread_create(&t, NULL, writer, NULL);
  unsigned long sum = 0, total = 0;
  unsigned char buf[4096];
  for (;;) {
    p.revents = 0;
    if (poll(&p, 1, 5000) != 1) break;
    ssize_t n = read(data_pipe[0], buf, sizeof buf);
    if (n <= 0) break;
    for (ssize_t i = 0; i < n; i++) sum = sum * 31 + buf[i];
    total += n;
  }
  pthread_join(t, NULL);
  check(total == 300 * 3000 && (p.revents & POLLHUP), "pipe between threads: all bytes, then POLLHUP");
  printf("pipe checksum %lu\n", sum);
  close(data_pipe[0]);
}

/* ---- sleeping and yielding ---------------------------------------------------------------- */

static atomic_int spins;
static atomic_int sleeper_done;
static void *sleeper(void *arg) {
  (void)arg;
  struct timespec ts = {0, 30 * 1000 * 1000};
  nanosleep(&ts, NULL);
  atomic_store(&sleeper_done, 1);
  return NULL;
}

static void sleeping(void) {
  pthread_t t;
  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  pthread_create(&t, NULL, sleeper, NULL);
  while (!atomic_load(&sleeper_done)) {
    atomic_fetch_add(&spins, 1);
    sched_yield();
  }
  pthread_join(t, NULL);
  clock_gettime(CLOCK_MONOTONIC, &t1);
  long ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
  check(ms >= 29 && spins > 0, "a sleeping thread does not stop another from running");
}

/* ---- exit paths ----------------------------------------------------------------------------- */

static void *exits(void *arg) {
  (void)arg;
  usleep(10000);
  printf("thread calls exit(3)\n");
  exit(3);
}

static void *outlives_main(void *arg) {
  (void)arg;
  usleep(20000);
  printf("the last thread finishes after main's pthread_exit\n");
  return NULL;
}

static pthread_mutex_t m1 = PTHREAD_MUTEX_INITIALIZER, m2 = PTHREAD_MUTEX_INITIALIZER;
static void *lock_21(void *arg) {
  (void)arg;
  pthread_mutex_lock(&m2);
  sem_post(&started);
  usleep(10000);
  pthread_mutex_lock(&m1);
  return NULL;
}

/* Each thread has its own name: a thread renaming itself leaves the process's (the first thread's) alone. */
static char named_before[16], named_after[16];
static void *renames_itself(void *arg) {
  (void)arg;
  prctl(PR_GET_NAME, named_before);
  prctl(PR_SET_NAME, "worker");
  prctl(PR_GET_NAME, named_after);
  return NULL;
}

static void thread_names(void) {
  char name[16] = {0}, comm[32] = {0};
  prctl(PR_SET_NAME, "mainname");
  pthread_t t;
  pthread_create(&t, NULL, renames_itself, NULL);
  pthread_join(t, NULL);
  prctl(PR_GET_NAME, name);
  int f = open("/proc/self/comm", O_RDONLY);
  check(f >= 0 && read(f, comm, sizeof comm - 1) > 0, "open and read /proc/self/comm");
  close(f);
  check(strcmp(named_before, "mainname") == 0, "a new thread is named as its creator");
  check(strcmp(named_after, "worker") == 0, "a thread's PR_SET_NAME names it");
  check(strcmp(name, "mainname") == 0 && strcmp(comm, "mainname\n") == 0, "the main thread keeps its own name");
  check(prctl(PR_SET_NAME, "") == 0 && prctl(PR_GET_NAME, name) == 0 && name[0] == 0, "an empty name is a name");
}

int main(int argc, char **argv) {
  const char *mode = argc > 1 ? argv[1] : "all";
  setvbuf(stdout, NULL, _IOLBF, 0);
  pthread_t t;
  if (strcmp(mode, "exit") == 0) {
    pthread_create(&t, NULL, exits, NULL);
    pthread_join(t, NULL);
    printf("not reached\n");
    return 0;
  }
  if (strcmp(mode, "main-exit") == 0) {
    pthread_create(&t, NULL, outlives_main, NULL);
    printf("main calls pthread_exit\n");
    pthread_exit(NULL);
  }
  if (strcmp(mode, "deadlock") == 0) {
    sem_init(&started, 0, 0);
    pthread_mutex_lock(&m1);
    pthread_create(&t, NULL, lock_21, NULL);
    sem_wait(&started);
    pthread_mutex_lock(&m2);
    printf("not reached\n");
    return 0;
  }
  mutexes();
  condvars();
  sync_objects();
  thread_local_storage();
  many_threads();
  atomics();
  parallel_compute();
  thread_signals();
  pipes();
  sleeping();
  thread_names();
  printf("threads: %d failure(s)\n", failures);
  return failures != 0;
}
