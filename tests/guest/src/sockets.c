/* Sockets on localhost: TCP over IPv4 and IPv6 (server and client in two
 * processes or two threads), UDP, unix stream and datagram sockets,
 * socketpair, SCM_RIGHTS, non-blocking accept/connect/recv, poll, select
 * and epoll readiness, socket options, names, shutdown, SIGPIPE, and the
 * errors of bad arguments. Prints only facts that do not depend on the run
 * (never a port number), so that qemu-riscv64 and plume print the same. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <net/if.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *en(int e) {
  switch (e) {
  case 0: return "0";
  case EAGAIN: return "EAGAIN";
  case EINTR: return "EINTR";
  case EINPROGRESS: return "EINPROGRESS";
  case ECONNREFUSED: return "ECONNREFUSED";
  case EAFNOSUPPORT: return "EAFNOSUPPORT";
  case EFAULT: return "EFAULT";
  case EINVAL: return "EINVAL";
  case ENOTSOCK: return "ENOTSOCK";
  case EBADF: return "EBADF";
  case EPIPE: return "EPIPE";
  case ENOTCONN: return "ENOTCONN";
  case EADDRINUSE: return "EADDRINUSE";
  case EISCONN: return "EISCONN";
  case EDESTADDRREQ: return "EDESTADDRREQ";
  case EADDRNOTAVAIL: return "EADDRNOTAVAIL";
  case ENOENT: return "ENOENT";
  case EOPNOTSUPP: return "EOPNOTSUPP";
  case EPROTONOSUPPORT: return "EPROTONOSUPPORT";
  case ENOPROTOOPT: return "ENOPROTOOPT";
  case ENODEV: return "ENODEV";
  default: {
    static char buf[32];
    snprintf(buf, sizeof buf, "errno %d", e);
    return buf;
  }
  }
}

/* An address nothing is mapped at (volatile: the compiler must not see through it). */
static void *volatile bad = (void *)8;

/* The result of a call: "ok" or the errno's name. */
#define R(x) ((x) < 0 ? en(errno) : "ok")

static int tcp_listener(int family, struct sockaddr_storage *ss, socklen_t *len) {
  int s = socket(family, SOCK_STREAM, 0);
  if (s < 0) return -1;
  int one = 1;
  setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  memset(ss, 0, sizeof *ss);
  if (family == AF_INET) {
    struct sockaddr_in *in = (struct sockaddr_in *)ss;
    in->sin_family = AF_INET;
    in->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    *len = sizeof *in;
  } else {
    struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;
    in6->sin6_family = AF_INET6;
    in6->sin6_addr = in6addr_loopback;
    *len = sizeof *in6;
  }
  if (bind(s, (struct sockaddr *)ss, *len) < 0 || listen(s, 8) < 0) {
    int e = errno;
    close(s);
    errno = e;
    return -1;
  }
  getsockname(s, (struct sockaddr *)ss, len);
  return s;
}

static int port_of(struct sockaddr_storage *ss) {
  return ss->ss_family == AF_INET ? ntohs(((struct sockaddr_in *)ss)->sin_port)
                                  : ntohs(((struct sockaddr_in6 *)ss)->sin6_port);
}

static int full_write(int fd, const void *buf, size_t n) {
  const char *p = buf;
  while (n > 0) {
    ssize_t w = write(fd, p, n);
    if (w < 0) return -1;
    p += w;
    n -= w;
  }
  return 0;
}

static ssize_t read_all(int fd, char *buf, size_t max) {
  size_t got = 0;
  while (got < max) {
    ssize_t r = read(fd, buf + got, max - got);
    if (r < 0) return -1;
    if (r == 0) break;
    got += r;
  }
  return got;
}

/* TCP over IPv4: the client is a forked child, the server the parent. */
static void tcp_v4_fork(void) {
  struct sockaddr_storage ss;
  socklen_t len;
  int s = tcp_listener(AF_INET, &ss, &len);
  printf("tcp4 listener: %s, port assigned %s, len %d\n", s < 0 ? en(errno) : "ok", port_of(&ss) ? "yes" : "no",
         (int)len);
  int acc = 0;
  socklen_t alen = sizeof acc;
  getsockopt(s, SOL_SOCKET, SO_ACCEPTCONN, &acc, &alen);
  printf("tcp4 SO_ACCEPTCONN %d\n", acc);
  pid_t pid = fork();
  if (pid == 0) {
    int c = socket(AF_INET, SOCK_STREAM, 0);
    if (connect(c, (struct sockaddr *)&ss, len) < 0) _exit(10);
    if (full_write(c, "hello over tcp", 14) < 0) _exit(11);
    shutdown(c, SHUT_WR);
    char buf[64];
    ssize_t n = read_all(c, buf, sizeof buf);
    _exit(n == 14 && memcmp(buf, "HELLO OVER TCP", 14) == 0 ? 0 : 12);
  }
  struct sockaddr_in peer;
  socklen_t plen = sizeof peer;
  int a = accept(s, (struct sockaddr *)&peer, &plen);
  printf("tcp4 accept: %s, peer family %d len %d addr %s\n", R(a), peer.sin_family, (int)plen,
         inet_ntoa(peer.sin_addr));
  struct sockaddr_storage me;
  socklen_t mlen = sizeof me;
  getsockname(a, (struct sockaddr *)&me, &mlen);
  printf("tcp4 accepted socket's port is the listener's: %s\n", port_of(&me) == port_of(&ss) ? "yes" : "no");
  char buf[64];
  ssize_t n = read_all(a, buf, sizeof buf);
  printf("tcp4 server read %d bytes: %.*s\n", (int)n, (int)n, buf);
  for (int i = 0; i < n; i++) buf[i] = buf[i] >= 'a' && buf[i] <= 'z' ? buf[i] - 32 : buf[i];
  full_write(a, buf, n);
  close(a);
  int st;
  waitpid(pid, &st, 0);
  printf("tcp4 client exit %d\n", WEXITSTATUS(st));
  close(s);
}

static struct sockaddr_storage v6addr;
static socklen_t v6len;

static void *v6_client(void *arg) {
  (void)arg;
  int c = socket(AF_INET6, SOCK_STREAM, 0);
  long ok = connect(c, (struct sockaddr *)&v6addr, v6len) == 0;
  if (ok) {
    int one = 1;
    setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    ok = send(c, "six", 3, 0) == 3;
    char b[8];
    ok = ok && recv(c, b, 5, MSG_WAITALL) == 5 && memcmp(b, "seven", 5) == 0;
  }
  close(c);
  return (void *)ok;
}

/* TCP over IPv6 with the client in a thread. */
static void tcp_v6_thread(void) {
  int s = tcp_listener(AF_INET6, &v6addr, &v6len);
  if (s < 0) {
    printf("tcp6 listener: %s\n", en(errno));
    return;
  }
  int v6only = -1;
  socklen_t l = sizeof v6only;
  getsockopt(s, IPPROTO_IPV6, IPV6_V6ONLY, &v6only, &l);
  printf("tcp6 listener ok, port assigned %s, len %d, IPV6_V6ONLY %d\n", port_of(&v6addr) ? "yes" : "no", (int)v6len,
         v6only);
  pthread_t t;
  pthread_create(&t, NULL, v6_client, NULL);
  struct sockaddr_in6 peer;
  socklen_t plen = sizeof peer;
  int a = accept4(s, (struct sockaddr *)&peer, &plen, SOCK_CLOEXEC);
  char txt[64];
  inet_ntop(AF_INET6, &peer.sin6_addr, txt, sizeof txt);
  printf("tcp6 accept4: %s, family %d, len %d, addr %s, cloexec %d\n", R(a), peer.sin6_family, (int)plen, txt,
         fcntl(a, F_GETFD) & FD_CLOEXEC);
  char b[8];
  ssize_t n = recv(a, b, 3, MSG_WAITALL);
  printf("tcp6 server got %d: %.*s\n", (int)n, (int)n, b);
  /* Two sends the client reads with one MSG_WAITALL recv. */
  send(a, "sev", 3, 0);
  usleep(20000);
  send(a, "en", 2, 0);
  void *ok;
  pthread_join(t, &ok);
  printf("tcp6 client thread ok %ld\n", (long)ok);
  close(a);
  close(s);
}

/* UDP: unconnected sendto/recvfrom, then a connected pair. */
static void udp(void) {
  int a = socket(AF_INET, SOCK_DGRAM, 0), b = socket(AF_INET, SOCK_DGRAM, IPPROTO_UDP);
  struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)}, sb = sa;
  socklen_t la = sizeof sa, lb = sizeof sb;
  bind(a, (struct sockaddr *)&sa, la);
  bind(b, (struct sockaddr *)&sb, lb);
  getsockname(a, (struct sockaddr *)&sa, &la);
  getsockname(b, (struct sockaddr *)&sb, &lb);
  printf("udp bound, ports assigned %s\n", sa.sin_port && sb.sin_port && sa.sin_port != sb.sin_port ? "yes" : "no");
  ssize_t n = sendto(a, "datagram one", 12, 0, (struct sockaddr *)&sb, lb);
  n += sendto(a, "two", 3, 0, (struct sockaddr *)&sb, lb);
  printf("udp sendto %d\n", (int)n);
  char buf[64];
  struct sockaddr_in from;
  socklen_t fl = sizeof from;
  n = recvfrom(b, buf, sizeof buf, 0, (struct sockaddr *)&from, &fl);
  printf("udp recvfrom %d: %.*s, from a: %s, len %d\n", (int)n, (int)n, buf, from.sin_port == sa.sin_port ? "yes" : "no",
         (int)fl);
  n = recv(b, buf, 2, MSG_TRUNC);
  printf("udp recv MSG_TRUNC of a 3-byte datagram into 2: %d\n", (int)n);
  n = send(a, "x", 1, 0);
  printf("udp send unconnected: %s\n", R(n));
  printf("udp connect: %s\n", R(connect(a, (struct sockaddr *)&sb, lb)));
  struct sockaddr_in peer;
  socklen_t pl = sizeof peer;
  printf("udp getpeername: %s, same as b: %s\n", R(getpeername(a, (struct sockaddr *)&peer, &pl)),
         peer.sin_port == sb.sin_port ? "yes" : "no");
  n = send(a, "connected", 9, 0);
  n = recv(b, buf, sizeof buf, 0);
  printf("udp connected send, recv %d: %.*s\n", (int)n, (int)n, buf);
  n = recv(b, buf, sizeof buf, MSG_DONTWAIT);
  printf("udp recv MSG_DONTWAIT when empty: %s\n", R(n));
  int avail = -1;
  send(a, "four", 4, 0);
  usleep(10000);
  ioctl(b, FIONREAD, &avail);
  printf("udp FIONREAD %d\n", avail);
  close(a);
  close(b);
}

/* A unix stream socket bound to a relative path, its client forked. */
static void unix_stream(void) {
  const char *path = "plume_test.sock";
  unlink(path);
  int s = socket(AF_UNIX, SOCK_STREAM, 0);
  struct sockaddr_un sun = {.sun_family = AF_UNIX};
  strcpy(sun.sun_path, path);
  socklen_t len = offsetof(struct sockaddr_un, sun_path) + strlen(path) + 1;
  printf("unix bind: %s\n", R(bind(s, (struct sockaddr *)&sun, len)));
  printf("unix bind again: %s\n", R(bind(socket(AF_UNIX, SOCK_STREAM, 0), (struct sockaddr *)&sun, len)));
  listen(s, 4);
  struct sockaddr_un got;
  socklen_t gl = sizeof got;
  getsockname(s, (struct sockaddr *)&got, &gl);
  printf("unix getsockname: %s (len %d)\n", got.sun_path, (int)gl);
  pid_t pid = fork();
  if (pid == 0) {
    int c = socket(AF_UNIX, SOCK_STREAM, 0);
    if (connect(c, (struct sockaddr *)&sun, len) < 0) _exit(20);
    char msg[3000];
    memset(msg, 'u', sizeof msg);
    _exit(full_write(c, msg, sizeof msg) < 0 ? 21 : 0);
  }
  struct sockaddr_un peer;
  socklen_t pl = sizeof peer;
  int a = accept(s, (struct sockaddr *)&peer, &pl);
  printf("unix accept: %s, peer len %d\n", R(a), (int)pl);
  char buf[4000];
  ssize_t n = read_all(a, buf, sizeof buf);
  printf("unix read %d bytes\n", (int)n);
  int st;
  waitpid(pid, &st, 0);
  printf("unix client exit %d\n", WEXITSTATUS(st));
  close(a);
  close(s);
  unlink(path);
  /* A relative path after a chdir: named as the guest named it. */
  mkdir("plume_sub", 0755);
  chdir("plume_sub");
  int r = socket(AF_UNIX, SOCK_STREAM, 0);
  printf("unix bind relative after chdir: %s\n", R(bind(r, (struct sockaddr *)&sun, len)));
  listen(r, 1);
  gl = sizeof got;
  getsockname(r, (struct sockaddr *)&got, &gl);
  printf("unix getsockname after chdir: %s (len %d)\n", got.sun_path, (int)gl);
  int rc = socket(AF_UNIX, SOCK_STREAM, 0);
  printf("unix connect relative after chdir: %s\n", R(connect(rc, (struct sockaddr *)&sun, len)));
  gl = sizeof got;
  getpeername(rc, (struct sockaddr *)&got, &gl);
  printf("unix getpeername: %s (len %d)\n", got.sun_path, (int)gl);
  close(rc);
  close(r);
  unlink(path);
  chdir("..");
  rmdir("plume_sub");
  struct sockaddr_un none = {.sun_family = AF_UNIX};
  strcpy(none.sun_path, "no_such_dir/x.sock");
  int c = socket(AF_UNIX, SOCK_STREAM, 0);
  printf("unix connect to a missing path: %s\n", R(connect(c, (struct sockaddr *)&none, sizeof none)));
  close(c);
}

/* Unix datagrams keep their boundaries; a bound pair exchanges them by name. */
static void unix_dgram(void) {
  int sv[2];
  printf("socketpair dgram: %s\n", R(socketpair(AF_UNIX, SOCK_DGRAM, 0, sv)));
  send(sv[0], "first", 5, 0);
  send(sv[0], "second!", 7, 0);
  char buf[32];
  ssize_t a = recv(sv[1], buf, sizeof buf, 0);
  ssize_t b = recv(sv[1], buf, sizeof buf, 0);
  printf("unix dgram boundaries: %d %d\n", (int)a, (int)b);
  close(sv[0]);
  close(sv[1]);
  const char *p1 = "plume_d1.sock", *p2 = "plume_d2.sock";
  unlink(p1);
  unlink(p2);
  int x = socket(AF_UNIX, SOCK_DGRAM, 0), y = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK, 0);
  struct sockaddr_un ax = {.sun_family = AF_UNIX}, ay = {.sun_family = AF_UNIX};
  strcpy(ax.sun_path, p1);
  strcpy(ay.sun_path, p2);
  bind(x, (struct sockaddr *)&ax, sizeof ax);
  bind(y, (struct sockaddr *)&ay, sizeof ay);
  printf("unix dgram sendto: %d\n", (int)sendto(x, "named", 5, 0, (struct sockaddr *)&ay, sizeof ay));
  struct sockaddr_un from;
  socklen_t fl = sizeof from;
  ssize_t n = recvfrom(y, buf, sizeof buf, 0, (struct sockaddr *)&from, &fl);
  printf("unix dgram recvfrom %d from %s\n", (int)n, from.sun_path);
  n = recvfrom(y, buf, sizeof buf, 0, (struct sockaddr *)&from, &fl);
  printf("unix dgram nonblocking recvfrom when empty: %s\n", R(n));
  close(x);
  close(y);
  unlink(p1);
  unlink(p2);
}

static int send_fd(int sock, int fd) {
  char byte = 'F';
  struct iovec iov = {&byte, 1};
  union {
    struct cmsghdr h;
    char buf[CMSG_SPACE(sizeof(int))];
  } u;
  memset(&u, 0, sizeof u);
  struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf, .msg_controllen = sizeof u.buf};
  struct cmsghdr *c = CMSG_FIRSTHDR(&m);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_RIGHTS;
  c->cmsg_len = CMSG_LEN(sizeof(int));
  memcpy(CMSG_DATA(c), &fd, sizeof fd);
  return sendmsg(sock, &m, 0);
}

static int recv_fd(int sock, int flags) {
  char byte;
  struct iovec iov = {&byte, 1};
  union {
    struct cmsghdr h;
    char buf[CMSG_SPACE(sizeof(int))];
  } u;
  struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf, .msg_controllen = sizeof u.buf};
  if (recvmsg(sock, &m, flags) != 1) return -1;
  struct cmsghdr *c = CMSG_FIRSTHDR(&m);
  if (!c || c->cmsg_type != SCM_RIGHTS) return -2;
  int fd;
  memcpy(&fd, CMSG_DATA(c), sizeof fd);
  return fd;
}

/* SCM_RIGHTS: a pipe end and a socket, to this process and to a child. */
static void scm_rights(void) {
  int sv[2], p[2];
  socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
  pipe(p);
  printf("scm send pipe end: %d\n", send_fd(sv[0], p[1]));
  int w = recv_fd(sv[1], MSG_CMSG_CLOEXEC);
  printf("scm received a new descriptor: %s, cloexec %d\n", w > p[1] ? "yes" : "no", fcntl(w, F_GETFD) & FD_CLOEXEC);
  write(w, "via scm", 7);
  close(w);
  close(p[1]);
  char buf[16];
  ssize_t n = read_all(p[0], buf, sizeof buf);
  printf("scm pipe carries %d bytes: %.*s\n", (int)n, (int)n, buf);
  close(p[0]);
  /* A socket to a forked child, which answers through it. */
  int inner[2];
  socketpair(AF_UNIX, SOCK_STREAM, 0, inner);
  pid_t pid = fork();
  if (pid == 0) {
    close(sv[0]);
    int fd = recv_fd(sv[1], 0);
    if (fd < 0) _exit(30);
    _exit(write(fd, "child", 5) == 5 ? 0 : 31);
  }
  printf("scm send socket: %d\n", send_fd(sv[0], inner[1]));
  close(inner[1]);
  n = read_all(inner[0], buf, sizeof buf);
  int st;
  waitpid(pid, &st, 0);
  printf("scm child wrote %d: %.*s, exit %d\n", (int)n, (int)n, buf, WEXITSTATUS(st));
  close(inner[0]);
  printf("scm send a closed fd: %s\n", R(send_fd(sv[0], 999)));
  close(sv[0]);
  close(sv[1]);
}

/* Non-blocking accept, connect and recv; poll, select and epoll readiness. */
static void nonblocking_and_readiness(void) {
  struct sockaddr_storage ss;
  socklen_t len;
  int s = tcp_listener(AF_INET, &ss, &len);
  fcntl(s, F_SETFL, fcntl(s, F_GETFL) | O_NONBLOCK);
  printf("nb accept with nothing pending: %s\n", R(accept(s, NULL, NULL)));
  struct pollfd pf = {s, POLLIN, 0};
  printf("poll listener before connect: %d\n", poll(&pf, 1, 0));
  int c = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
  int r = connect(c, (struct sockaddr *)&ss, len);
  printf("nb connect: %s\n", r == 0 || errno == EINPROGRESS ? "0 or EINPROGRESS" : en(errno));
  struct pollfd cp = {c, POLLOUT, 0};
  r = poll(&cp, 1, 5000);
  int err = -1;
  socklen_t el = sizeof err;
  getsockopt(c, SOL_SOCKET, SO_ERROR, &err, &el);
  printf("poll connecting socket: %d revents %#x SO_ERROR %s\n", r, cp.revents, en(err));
  printf("connect again: %s\n", R(connect(c, (struct sockaddr *)&ss, len)));
  pf.revents = 0;
  printf("poll listener after connect: %d revents %#x\n", poll(&pf, 1, 5000), pf.revents);
  int ep = epoll_create1(EPOLL_CLOEXEC);
  int a = accept4(s, NULL, NULL, SOCK_NONBLOCK);
  printf("nb accept4: %s, O_NONBLOCK %d\n", R(a), (fcntl(a, F_GETFL) & O_NONBLOCK) != 0);
  struct epoll_event ev = {.events = EPOLLIN | EPOLLRDHUP, .data.u32 = 7};
  epoll_ctl(ep, EPOLL_CTL_ADD, a, &ev);
  struct epoll_event out[4];
  printf("epoll_wait idle: %d\n", epoll_wait(ep, out, 4, 0));
  char buf[16];
  printf("nb recv when empty: %s\n", R(recv(a, buf, sizeof buf, 0)));
  printf("nb read when empty: %s\n", R(read(a, buf, sizeof buf)));
  send(c, "ping", 4, 0);
  r = epoll_wait(ep, out, 4, 5000);
  printf("epoll_wait after send: %d events %#x data %u\n", r, out[0].events, out[0].data.u32);
  printf("recv MSG_PEEK %d, then recv %d\n", (int)recv(a, buf, sizeof buf, MSG_PEEK), (int)recv(a, buf, sizeof buf, 0));
  fd_set rf, wf;
  FD_ZERO(&rf);
  FD_ZERO(&wf);
  FD_SET(a, &rf);
  FD_SET(a, &wf);
  struct timeval tv = {0, 0};
  r = select(a + 1, &rf, &wf, NULL, &tv);
  printf("select: %d readable %d writable %d\n", r, FD_ISSET(a, &rf) != 0, FD_ISSET(a, &wf) != 0);
  close(c);
  r = epoll_wait(ep, out, 4, 5000);
  printf("epoll_wait after peer close: %d events %#x\n", r, out[0].events);
  printf("read at end: %d\n", (int)read(a, buf, sizeof buf));
  close(ep);
  close(a);
  close(s);
}

/* Options real programs set, and names. */
static void options(void) {
  int s = socket(AF_INET, SOCK_STREAM, 0);
  int v;
  socklen_t l = sizeof v;
  getsockopt(s, SOL_SOCKET, SO_TYPE, &v, &l);
  printf("SO_TYPE %d len %d\n", v, (int)l);
  l = sizeof v;
  getsockopt(s, SOL_SOCKET, SO_REUSEADDR, &v, &l);
  printf("SO_REUSEADDR default %d\n", v);
  int one = 1;
  setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  setsockopt(s, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof one);
  setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  int vals[3];
  l = sizeof v;
  getsockopt(s, SOL_SOCKET, SO_REUSEADDR, &vals[0], &l);
  getsockopt(s, SOL_SOCKET, SO_KEEPALIVE, &vals[1], &l);
  getsockopt(s, IPPROTO_TCP, TCP_NODELAY, &vals[2], &l);
  printf("after set: SO_REUSEADDR %d SO_KEEPALIVE %d TCP_NODELAY %d\n", vals[0], vals[1], vals[2]);
  int size = 32768;
  setsockopt(s, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
  l = sizeof v;
  getsockopt(s, SOL_SOCKET, SO_RCVBUF, &v, &l);
  printf("SO_RCVBUF set 32768 reads back %d\n", v);
  l = sizeof v;
  getsockopt(s, SOL_SOCKET, SO_ERROR, &v, &l);
  printf("SO_ERROR %d\n", v);
  char small[2];
  l = sizeof small;
  printf("getsockopt into 2 bytes: %s, len %d\n", R(getsockopt(s, SOL_SOCKET, SO_TYPE, small, &l)), (int)l);
  struct linger lg = {1, 3};
  setsockopt(s, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
  struct linger lg2;
  l = sizeof lg2;
  getsockopt(s, SOL_SOCKET, SO_LINGER, &lg2, &l);
  printf("SO_LINGER %d %d len %d\n", lg2.l_onoff, lg2.l_linger, (int)l);
  struct timeval tv = {0, 200000};
  setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  struct timeval tv2;
  l = sizeof tv2;
  getsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv2, &l);
  printf("SO_RCVTIMEO %ld.%06ld\n", (long)tv2.tv_sec, (long)tv2.tv_usec);
  printf("setsockopt bad level: %s\n", R(setsockopt(s, 12345, 1, &one, sizeof one)));
  close(s);
  /* A receive timeout on a blocking socket gives EAGAIN. */
  int sv[2];
  socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
  setsockopt(sv[0], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  char b;
  printf("recv past SO_RCVTIMEO: %s\n", R(recv(sv[0], &b, 1, 0)));
  close(sv[0]);
  close(sv[1]);
}

/* shutdown, SIGPIPE and EPIPE, and refused connections. */
static void ends(void) {
  int sv[2];
  socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
  printf("shutdown SHUT_WR: %s\n", R(shutdown(sv[0], SHUT_WR)));
  char b[4];
  printf("peer reads end of file: %d\n", (int)read(sv[1], b, sizeof b));
  printf("write after SHUT_WR with MSG_NOSIGNAL: %s\n", R(send(sv[0], "x", 1, MSG_NOSIGNAL)));
  printf("shutdown bad how: %s\n", R(shutdown(sv[0], 7)));
  close(sv[1]);
  signal(SIGPIPE, SIG_IGN);
  printf("write to a closed peer: %s\n", R(write(sv[0], "x", 1)));
  close(sv[0]);
  signal(SIGPIPE, SIG_DFL);
  socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
  close(sv[1]);
  pid_t pid = fork();
  if (pid == 0) {
    write(sv[0], "x", 1);
    _exit(0);
  }
  int st;
  waitpid(pid, &st, 0);
  printf("child writing to a closed peer: signal %d\n", WIFSIGNALED(st) ? WTERMSIG(st) : 0);
  close(sv[0]);
  /* A port nobody listens on: bound, never listening. */
  int q = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  socklen_t l = sizeof sa;
  bind(q, (struct sockaddr *)&sa, l);
  getsockname(q, (struct sockaddr *)&sa, &l);
  int c = socket(AF_INET, SOCK_STREAM, 0);
  printf("connect to a closed port: %s\n", R(connect(c, (struct sockaddr *)&sa, l)));
  printf("getpeername unconnected: %s\n", R(getpeername(c, (struct sockaddr *)&sa, &l)));
  printf("send unconnected: %s\n", R(send(c, "x", 1, MSG_NOSIGNAL)));
  close(c);
  close(q);
}

/* Scattered sendmsg and recvmsg with names. */
static void msgs(void) {
  int a = socket(AF_INET, SOCK_DGRAM, 0), b = socket(AF_INET, SOCK_DGRAM, 0);
  struct sockaddr_in sb = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  socklen_t lb = sizeof sb;
  bind(b, (struct sockaddr *)&sb, lb);
  getsockname(b, (struct sockaddr *)&sb, &lb);
  struct iovec out[3] = {{"gath", 4}, {"", 0}, {"ered", 4}};
  struct msghdr m = {.msg_name = &sb, .msg_namelen = lb, .msg_iov = out, .msg_iovlen = 3};
  printf("sendmsg: %d\n", (int)sendmsg(a, &m, 0));
  char x[3], y[16];
  struct iovec in[2] = {{x, 3}, {y, sizeof y}};
  struct sockaddr_in from;
  struct msghdr r = {.msg_name = &from, .msg_namelen = sizeof from, .msg_iov = in, .msg_iovlen = 2};
  ssize_t n = recvmsg(b, &r, 0);
  printf("recvmsg: %d: %.3s|%.5s namelen %d family %d flags %d\n", (int)n, x, y, (int)r.msg_namelen, from.sin_family,
         r.msg_flags);
  sendto(a, "truncated", 9, 0, (struct sockaddr *)&sb, lb);
  struct iovec one = {x, 3};
  struct msghdr t = {.msg_iov = &one, .msg_iovlen = 1};
  n = recvmsg(b, &t, 0);
  printf("recvmsg short buffer: %d flags MSG_TRUNC %d\n", (int)n, (t.msg_flags & MSG_TRUNC) != 0);
  /* Several datagrams in one call each way. */
  connect(a, (struct sockaddr *)&sb, lb);
  struct iovec mo[2] = {{"first", 5}, {"second!", 7}};
  struct mmsghdr mm[2] = {{.msg_hdr = {.msg_iov = &mo[0], .msg_iovlen = 1}}, {.msg_hdr = {.msg_iov = &mo[1], .msg_iovlen = 1}}};
  int sent = sendmmsg(a, mm, 2, 0);
  printf("sendmmsg: %d, lengths %u %u\n", sent, mm[0].msg_len, mm[1].msg_len);
  char r0[16], r1[16], r2[16];
  struct iovec mi[3] = {{r0, sizeof r0}, {r1, sizeof r1}, {r2, sizeof r2}};
  struct mmsghdr rm[3];
  memset(rm, 0, sizeof rm);
  for (int i = 0; i < 3; i++) rm[i].msg_hdr.msg_iov = &mi[i], rm[i].msg_hdr.msg_iovlen = 1;
  int got = recvmmsg(b, rm, 3, MSG_WAITFORONE, NULL);
  printf("recvmmsg: %d, lengths %u %u: %.5s %.7s\n", got, rm[0].msg_len, rm[1].msg_len, r0, r1);
  printf("recvmmsg when empty: %s\n", R(recvmmsg(b, rm, 3, MSG_DONTWAIT, NULL)));
  close(a);
  close(b);
}

/* Interface queries on a socket (ioctl SIOCGIF*), as ifconfig makes them. */
static void interfaces(void) {
  int s = socket(AF_INET, SOCK_DGRAM, 0);
  struct ifreq ifr;
  memset(&ifr, 0, sizeof ifr);
  strcpy(ifr.ifr_name, "lo");
  printf("SIOCGIFINDEX lo: %s, matches if_nametoindex %d\n", R(ioctl(s, SIOCGIFINDEX, &ifr)),
         ifr.ifr_ifindex == (int)if_nametoindex("lo"));
  int index = ifr.ifr_ifindex;
  memset(&ifr, 0, sizeof ifr);
  ifr.ifr_ifindex = index;
  printf("SIOCGIFNAME: %s %s\n", R(ioctl(s, SIOCGIFNAME, &ifr)), ifr.ifr_name);
  printf("SIOCGIFFLAGS: %s, up %d loopback %d\n", R(ioctl(s, SIOCGIFFLAGS, &ifr)), (ifr.ifr_flags & IFF_UP) != 0,
         (ifr.ifr_flags & IFF_LOOPBACK) != 0);
  printf("SIOCGIFADDR: %s %s\n", R(ioctl(s, SIOCGIFADDR, &ifr)),
         inet_ntoa(((struct sockaddr_in *)&ifr.ifr_addr)->sin_addr));
  struct ifreq list[32];
  struct ifconf ifc = {.ifc_len = sizeof list, .ifc_req = list};
  int r = ioctl(s, SIOCGIFCONF, &ifc);
  int has_lo = 0;
  for (int i = 0; i < ifc.ifc_len / (int)sizeof(struct ifreq); i++) has_lo |= strcmp(list[i].ifr_name, "lo") == 0;
  printf("SIOCGIFCONF: %s, whole entries %d, lists lo %d\n", R(r), ifc.ifc_len % (int)sizeof(struct ifreq) == 0, has_lo);
  strcpy(ifr.ifr_name, "no-such-if0");
  printf("SIOCGIFINDEX of a missing interface: %s\n", R(ioctl(s, SIOCGIFINDEX, &ifr)));
  printf("SIOCGIFFLAGS bad pointer: %s\n", R(ioctl(s, SIOCGIFFLAGS, bad)));
  close(s);
}

static volatile int alarms, alarm_peer = -1;
static void on_alarm(int sig) {
  (void)sig;
  /* The fifth alarm's handler sends what the blocked recv waits for. */
  if (++alarms == 5 && alarm_peer >= 0) send(alarm_peer, "ok", 2, 0);
}

/* A signal ends a blocked accept and recv with EINTR (no SA_RESTART), and a handler with SA_RESTART lets recv go on. */
static void interrupted(void) {
  struct sigaction sa = {.sa_handler = on_alarm};
  sigaction(SIGALRM, &sa, NULL);
  struct itimerval it = {.it_value = {0, 50000}};
  struct sockaddr_storage ss;
  socklen_t len;
  int s = tcp_listener(AF_INET, &ss, &len);
  setitimer(ITIMER_REAL, &it, NULL);
  printf("accept interrupted: %s, alarms %d\n", R(accept(s, NULL, NULL)), alarms);
  int sv[2];
  socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
  char b[4];
  setitimer(ITIMER_REAL, &it, NULL);
  printf("recv interrupted: %s, alarms %d\n", R(recv(sv[0], b, sizeof b, 0)), alarms);
  sa.sa_flags = SA_RESTART;
  sigaction(SIGALRM, &sa, NULL);
  struct itimerval twice = {.it_value = {0, 50000}, .it_interval = {0, 50000}};
  /* recv restarts after the handlers of alarms 3 and 4; the fifth one's handler sends it data. */
  int c = socket(AF_INET, SOCK_STREAM, 0);
  connect(c, (struct sockaddr *)&ss, len);
  int a = accept(s, NULL, NULL);
  alarm_peer = c;
  setitimer(ITIMER_REAL, &twice, NULL);
  ssize_t n = recv(a, b, sizeof b, 0);
  struct itimerval off = {0};
  setitimer(ITIMER_REAL, &off, NULL);
  printf("recv with SA_RESTART handlers: %d, alarms %d\n", (int)n, alarms);
  /* A blocking stream send a signal interrupts after some bytes went returns their count, with or without
   * SA_RESTART (restarted, it would send them again); nothing reads the other end. */
  alarm_peer = -1;
  for (int restart = 0; restart < 2; restart++) {
    sa.sa_flags = restart ? SA_RESTART : 0;
    sigaction(SIGALRM, &sa, NULL);
    int p[2];
    socketpair(AF_UNIX, SOCK_STREAM, 0, p);
    static char big[4 << 20];
    setitimer(ITIMER_REAL, &it, NULL);
    errno = 0;
    ssize_t sent = send(p[0], big, sizeof big, 0);
    int e = errno;
    printf("send interrupted%s: %s (errno %d)\n", restart ? " with SA_RESTART" : "",
           sent > 0 && sent < (ssize_t)sizeof big ? "part of it" : sent == -1 ? "-1" : "all or none", e);
    close(p[0]);
    close(p[1]);
  }
  signal(SIGALRM, SIG_DFL);
  close(c);
  close(a);
  close(s);
  close(sv[0]);
  close(sv[1]);
}

/* Bad arguments: errors, never a crash. */
static void errors(void) {
  printf("socket bad family: %s\n", R(socket(12345, SOCK_STREAM, 0)));
  printf("socket bad protocol: %s\n", R(socket(AF_INET, SOCK_STREAM, IPPROTO_UDP)));
  int s = socket(AF_INET, SOCK_STREAM, 0);
  printf("bind bad pointer: %s\n", R(bind(s, bad, 16)));
  printf("bind bad length: %s\n", R(bind(s, (struct sockaddr *)&s, 1000)));
  printf("bind short length: %s\n", R(bind(s, (struct sockaddr *)&s, 4)));
  struct sockaddr_in sa;
  printf("getsockname bad length pointer: %s\n", R(getsockname(s, (struct sockaddr *)&sa, bad)));
  socklen_t neg = -1;
  printf("getsockname negative length: %s\n", R(getsockname(s, (struct sockaddr *)&sa, &neg)));
  printf("listen on a file: %s\n", R(listen(1, 1)));
  printf("accept bad fd: %s\n", R(accept(-1, NULL, NULL)));
  printf("accept unlistened: %s\n", R(accept(s, NULL, NULL)));
  printf("recv bad buffer: %s\n", R(recv(s, bad, 10, MSG_DONTWAIT)));
  printf("sendmsg bad msghdr: %s\n", R(sendmsg(s, bad, 0)));
  printf("recvmsg bad msghdr: %s\n", R(recvmsg(s, bad, 0)));
  int v;
  socklen_t l = sizeof v;
  printf("getsockopt bad value pointer: %s\n", R(getsockopt(s, SOL_SOCKET, SO_TYPE, bad, &l)));
  printf("socketpair inet: %s\n", R(socketpair(AF_INET, SOCK_STREAM, 0, (int[2]){0, 0})));
  printf("socketpair bad pointer: %s\n", R(socketpair(AF_UNIX, SOCK_STREAM, 0, bad)));
  close(s);
}

/* With "nofork": only the sections with one thread in one process, whose
 * -strace lines come in one order (tests compare them with qemu's). */
int main(int argc, char **argv) {
  setvbuf(stdout, NULL, _IONBF, 0);
  if (argc > 1 && strcmp(argv[1], "nofork") == 0) {
    udp();
    unix_dgram();
    nonblocking_and_readiness();
    options();
    msgs();
    interfaces();
    interrupted();
    errors();
    return 0;
  }
  tcp_v4_fork();
  tcp_v6_thread();
  udp();
  unix_stream();
  unix_dgram();
  scm_rights();
  nonblocking_and_readiness();
  options();
  ends();
  msgs();
  interfaces();
  interrupted();
  errors();
  printf("done\n");
  return 0;
}
