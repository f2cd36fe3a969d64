/* TCP throughput over localhost, for `deno task bench`:
 *   sockbench recv          listens on 127.0.0.1, port 0; prints the port, then
 *                           reads one connection to its end and prints the count
 *                           and the nanoseconds from accept to the end
 *   sockbench send PORT MIB connects to PORT and writes MIB MiB in 64 KiB writes */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static char buf[65536];

int main(int argc, char **argv) {
  struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  socklen_t len = sizeof sa;
  if (argc == 2 && strcmp(argv[1], "recv") == 0) {
    int s = socket(AF_INET, SOCK_STREAM, 0);
    if (s < 0 || bind(s, (struct sockaddr *)&sa, len) < 0 || listen(s, 1) < 0) return perror("listen"), 1;
    getsockname(s, (struct sockaddr *)&sa, &len);
    printf("%d\n", ntohs(sa.sin_port));
    fflush(stdout);
    int c = accept(s, NULL, NULL);
    if (c < 0) return perror("accept"), 1;
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    long long total = 0;
    for (;;) {
      ssize_t n = read(c, buf, sizeof buf);
      if (n < 0) return perror("read"), 1;
      if (n == 0) break;
      total += n;
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    printf("%lld %lld\n", total, (t1.tv_sec - t0.tv_sec) * 1000000000LL + (t1.tv_nsec - t0.tv_nsec));
    return 0;
  }
  if (argc == 4 && strcmp(argv[1], "send") == 0) {
    sa.sin_port = htons(atoi(argv[2]));
    long long left = atoll(argv[3]) << 20;
    int c = socket(AF_INET, SOCK_STREAM, 0);
    if (c < 0 || connect(c, (struct sockaddr *)&sa, len) < 0) return perror("connect"), 1;
    memset(buf, 'x', sizeof buf);
    while (left > 0) {
      ssize_t n = write(c, buf, left < (long long)sizeof buf ? left : (long long)sizeof buf);
      if (n < 0) return perror("write"), 1;
      left -= n;
    }
    close(c);
    return 0;
  }
  fprintf(stderr, "usage: sockbench recv | sockbench send PORT MIB\n");
  return 2;
}
