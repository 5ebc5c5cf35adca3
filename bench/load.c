/* A small load generator for bench/run; asserts nothing.
 *
 *   load sink PORT            accept TCP connections on PORT: read each to
 *                             its end, then close (runs until killed)
 *   load udp ADDR PORT SECS   send 64-byte datagrams; print datagrams/s
 *   load conn ADDR PORT SECS  connect, close, again; print connections/s
 *   load stream ADDR PORT SECS  send one stream; print MB/s
 *   load fork SECS            fork a child that exits, wait, again; print forks/s
 *   load socket SECS          create a UDP socket (IPv4 and IPv6 in turn)
 *                             and close it, again; print sockets/s
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec / 1e9;
}

static struct sockaddr_in target(const char *addr, const char *port) {
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(atoi(port))};
    if (inet_pton(AF_INET, addr, &sa.sin_addr) != 1) {
        fprintf(stderr, "load: bad address %s\n", addr);
        exit(2);
    }
    return sa;
}

static int sink(const char *port) {
    signal(SIGCHLD, SIG_IGN);
    int one = 1, s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(atoi(port))};
    setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (bind(s, (struct sockaddr *)&sa, sizeof sa) < 0 || listen(s, 4096) < 0) return perror("load sink"), 1;
    static char buf[1 << 16];
    for (;;) {
        int c = accept(s, NULL, NULL);
        if (c < 0) continue;
        struct linger l = {1, 0};  /* RST on close: no TIME_WAIT pile-up */
        setsockopt(c, SOL_SOCKET, SO_LINGER, &l, sizeof l);
        if (fork() == 0) {
            while (read(c, buf, sizeof buf) > 0) {}
            _exit(0);
        }
        close(c);
    }
}

/* What every process pays for via's programs: a fork (the fork
 * tracepoint) and a socket (the socket program). */
static int churn(const char *mode, double secs) {
    const double end = now() + secs;
    unsigned long n = 0;
    const int fork_mode = !strcmp(mode, "fork");
    if (!fork_mode && strcmp(mode, "socket")) return fprintf(stderr, "load: unknown mode %s\n", mode), 2;
    while (now() < end)
        for (int i = 0; i < 64; ++i) {
            if (fork_mode) {
                pid_t child = fork();
                if (child == 0) _exit(0);
                if (child > 0 && waitpid(child, NULL, 0) == child) ++n;
            } else {
                int s = socket(i % 2 ? AF_INET6 : AF_INET, SOCK_DGRAM, 0);
                if (s >= 0 && close(s) == 0) ++n;
            }
        }
    printf("%.0f\n", n / secs);
    return 0;
}

int main(int argc, char **argv) {
    if (argc == 3 && !strcmp(argv[1], "sink")) return sink(argv[2]);
    if (argc == 3) return churn(argv[1], atof(argv[2]));
    if (argc != 5) return fprintf(stderr, "usage: see bench/load.c\n"), 2;
    struct sockaddr_in sa = target(argv[2], argv[3]);
    const double secs = atof(argv[4]), end = now() + secs;
    static char buf[1 << 16];
    unsigned long n = 0;
    if (!strcmp(argv[1], "udp")) {
        int s = socket(AF_INET, SOCK_DGRAM, 0);
        while (now() < end)
            for (int i = 0; i < 256; ++i)
                if (sendto(s, buf, 64, 0, (struct sockaddr *)&sa, sizeof sa) == 64) ++n;
        printf("%.0f\n", n / secs);
    } else if (!strcmp(argv[1], "conn")) {
        while (now() < end) {
            int s = socket(AF_INET, SOCK_STREAM, 0);
            struct linger l = {1, 0};
            setsockopt(s, SOL_SOCKET, SO_LINGER, &l, sizeof l);
            if (connect(s, (struct sockaddr *)&sa, sizeof sa) == 0) ++n;
            close(s);
        }
        printf("%.0f\n", n / secs);
    } else if (!strcmp(argv[1], "stream")) {
        int s = socket(AF_INET, SOCK_STREAM, 0);
        if (connect(s, (struct sockaddr *)&sa, sizeof sa) < 0) return perror("load stream"), 1;
        while (now() < end) {
            ssize_t w = write(s, buf, sizeof buf);
            if (w > 0) n += (unsigned long)w;
        }
        printf("%.1f\n", n / secs / 1e6);
    } else
        return fprintf(stderr, "load: unknown mode %s\n", argv[1]), 2;
    return 0;
}
