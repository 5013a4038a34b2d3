/*
 * WebSocket echo load generator for bench/echo (plain C + OpenSSL, epoll, no framework overhead).
 *
 * Echo mode: each of N connections keeps exactly one 128-byte text message in flight (send, wait for the
 * echo, record the round trip, send the next), so the figures are closed-loop throughput and latency.
 *   loadgen echo <port> <tls 0|1> <connections> <size> <warmup_s> <seconds> <threads>
 *   -> messages_per_s=... p50_us=... p99_us=... client_cpu_pct=...
 * Idle mode: opens N upgraded WebSocket connections, prints "ready N", holds them until stdin closes.
 *   loadgen idle <port> <tls 0|1> <connections>
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <fcntl.h>

static SSL_CTX *tls_context;
static int port, use_tls, message_size;
static volatile int measuring, stopping;

static uint64_t now_ns(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint64_t)t.tv_sec * 1000000000ull + (uint64_t)t.tv_nsec;
}

struct conn {
    int fd;
    SSL *ssl;
    unsigned char in[65536];
    size_t in_len;
    const unsigned char *out;
    size_t out_len, out_off;
    uint64_t sent_at;
};

static void die(const char *what) {
    fprintf(stderr, "loadgen: %s: %s\n", what, strerror(errno));
    ERR_print_errors_fp(stderr);
    exit(1);
}

static ssize_t conn_write(struct conn *c, const void *buf, size_t len) {
    if (c->ssl) {
        size_t written = 0;
        int r = SSL_write_ex(c->ssl, buf, len, &written);
        if (r == 1) return (ssize_t)written;
        int e = SSL_get_error(c->ssl, 0);
        if (e == SSL_ERROR_WANT_WRITE || e == SSL_ERROR_WANT_READ) { errno = EAGAIN; return -1; }
        errno = EIO;
        return -1;
    }
    return send(c->fd, buf, len, MSG_NOSIGNAL);
}

static ssize_t conn_read(struct conn *c, void *buf, size_t len) {
    if (c->ssl) {
        size_t got = 0;
        int r = SSL_read_ex(c->ssl, buf, len, &got);
        if (r == 1) return (ssize_t)got;
        int e = SSL_get_error(c->ssl, 0);
        if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) { errno = EAGAIN; return -1; }
        if (e == SSL_ERROR_ZERO_RETURN) return 0;
        errno = EIO;
        return -1;
    }
    return recv(c->fd, buf, len, 0);
}

/* Blocking connect, TLS handshake and WebSocket upgrade; then the socket becomes non-blocking. */
static void open_conn(struct conn *c) {
    memset(c, 0, sizeof *c);
    c->fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(c->fd, (struct sockaddr *)&a, sizeof a) != 0) die("connect");
    int one = 1;
    setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (use_tls) {
        c->ssl = SSL_new(tls_context);
        SSL_set_fd(c->ssl, c->fd);
        if (SSL_connect(c->ssl) != 1) die("SSL_connect");
    }
    const char *request =
        "GET /ws/echo HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";
    if (conn_write(c, request, strlen(request)) != (ssize_t)strlen(request)) die("upgrade write");
    size_t len = 0;
    while (len < 4 || memcmp(c->in + len - 4, "\r\n\r\n", 4) != 0) {
        ssize_t n = conn_read(c, c->in + len, 1);
        if (n <= 0) die("upgrade read");
        len += (size_t)n;
    }
    if (strncmp((char *)c->in, "HTTP/1.1 101", 12) != 0) { fprintf(stderr, "loadgen: upgrade refused: %.*s\n", (int)len, c->in); exit(1); }
    fcntl(c->fd, F_SETFL, fcntl(c->fd, F_GETFL) | O_NONBLOCK);
}

static unsigned char *frame;
static size_t frame_len;

static void build_frame(void) {
    const unsigned char mask[4] = {0x37, 0xfa, 0x21, 0x3d};
    frame = malloc((size_t)message_size + 14);
    size_t h = 0;
    frame[h++] = 0x81;
    if (message_size < 126) frame[h++] = 0x80 | (unsigned char)message_size;
    else { frame[h++] = 0x80 | 126; frame[h++] = (unsigned char)(message_size >> 8); frame[h++] = (unsigned char)message_size; }
    memcpy(frame + h, mask, 4); h += 4;
    for (int i = 0; i < message_size; i++) frame[h + i] = (unsigned char)('a' + i % 26) ^ mask[i % 4];
    frame_len = h + (size_t)message_size;
}

struct worker {
    pthread_t thread;
    struct conn *conns;
    int count;
    uint64_t *samples;
    size_t samples_len, samples_cap, messages;
};

static void flush_out(struct conn *c) {
    while (c->out_off < c->out_len) {
        ssize_t n = conn_write(c, c->out + c->out_off, c->out_len - c->out_off);
        if (n < 0) { if (errno == EAGAIN) return; die("write"); }
        c->out_off += (size_t)n;
    }
}

static void send_message(struct conn *c) {
    c->out = frame; c->out_len = frame_len; c->out_off = 0;
    c->sent_at = now_ns();
    flush_out(c);
}

static void record(struct worker *w, uint64_t sample) {
    if (!measuring) return;
    if (w->samples_len == w->samples_cap) {
        w->samples_cap = w->samples_cap ? w->samples_cap * 2 : 1 << 16;
        w->samples = realloc(w->samples, w->samples_cap * sizeof *w->samples);
    }
    w->samples[w->samples_len++] = sample;
    w->messages++;
}

/* Consumes complete server frames from c->in; returns how many data frames completed. */
static int consume_frames(struct conn *c) {
    int done = 0;
    size_t off = 0;
    while (c->in_len - off >= 2) {
        unsigned char *p = c->in + off;
        size_t len = p[1] & 0x7f, h = 2;
        if (len == 126) { if (c->in_len - off < 4) break; len = (size_t)p[2] << 8 | p[3]; h = 4; }
        else if (len == 127) { fprintf(stderr, "loadgen: unexpected huge frame\n"); exit(1); }
        if (c->in_len - off < h + len) break;
        int opcode = p[0] & 0x0f;
        if (opcode == 8) { fprintf(stderr, "loadgen: server closed the WebSocket\n"); exit(1); }
        if (opcode == 9) { /* ping: answer with a masked pong */
            unsigned char pong[2 + 4 + 125];
            pong[0] = 0x8a; pong[1] = 0x80 | (unsigned char)len; memset(pong + 2, 0, 4); memcpy(pong + 6, p + h, len);
            conn_write(c, pong, 6 + len);
        } else if (opcode == 1 || opcode == 2) {
            done++;
        }
        off += h + len;
    }
    memmove(c->in, c->in + off, c->in_len - off);
    c->in_len -= off;
    return done;
}

static void *run_worker(void *arg) {
    struct worker *w = arg;
    int ep = epoll_create1(0);
    for (int i = 0; i < w->count; i++) {
        struct epoll_event e = {.events = EPOLLIN | EPOLLOUT | EPOLLET, .data.ptr = &w->conns[i]};
        epoll_ctl(ep, EPOLL_CTL_ADD, w->conns[i].fd, &e);
        send_message(&w->conns[i]);
    }
    struct epoll_event events[256];
    while (!stopping) {
        int n = epoll_wait(ep, events, 256, 100);
        for (int i = 0; i < n; i++) {
            struct conn *c = events[i].data.ptr;
            flush_out(c);
            for (;;) {
                ssize_t r = conn_read(c, c->in + c->in_len, sizeof c->in - c->in_len);
                if (r < 0 && errno == EAGAIN) break;
                if (r <= 0) { fprintf(stderr, "loadgen: connection lost\n"); exit(1); }
                c->in_len += (size_t)r;
                if (consume_frames(c) > 0) {
                    record(w, now_ns() - c->sent_at);
                    send_message(c);
                }
            }
        }
    }
    close(ep);
    return NULL;
}

static int compare(const void *a, const void *b) {
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static double cpu_seconds(void) {
    struct rusage u;
    getrusage(RUSAGE_SELF, &u);
    return u.ru_utime.tv_sec + u.ru_stime.tv_sec + (u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

int main(int argc, char **argv) {
    if (argc < 5) { fprintf(stderr, "usage: see the comment at the top of loadgen.c\n"); return 2; }
    const char *mode = argv[1];
    port = atoi(argv[2]);
    use_tls = atoi(argv[3]);
    int connections = atoi(argv[4]);
    if (use_tls) {
        tls_context = SSL_CTX_new(TLS_client_method());
        SSL_CTX_set_verify(tls_context, SSL_VERIFY_NONE, NULL);
        SSL_CTX_set_mode(tls_context, SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    }
    struct conn *conns = calloc((size_t)connections, sizeof *conns);
    if (strcmp(mode, "idle") == 0) {
        for (int i = 0; i < connections; i++) open_conn(&conns[i]);
        printf("ready %d\n", connections);
        fflush(stdout);
        char buffer[64];
        while (read(0, buffer, sizeof buffer) > 0) {}
        return 0;
    }
    if (argc < 9) { fprintf(stderr, "usage: loadgen echo <port> <tls> <connections> <size> <warmup_s> <seconds> <threads>\n"); return 2; }
    message_size = atoi(argv[5]);
    int warmup = atoi(argv[6]), seconds = atoi(argv[7]), threads = atoi(argv[8]);
    build_frame();
    for (int i = 0; i < connections; i++) open_conn(&conns[i]);
    struct worker *workers = calloc((size_t)threads, sizeof *workers);
    int per = connections / threads;
    for (int t = 0; t < threads; t++) {
        workers[t].conns = conns + t * per;
        workers[t].count = t == threads - 1 ? connections - t * per : per;
        pthread_create(&workers[t].thread, NULL, run_worker, &workers[t]);
    }
    sleep((unsigned)warmup);
    double cpu0 = cpu_seconds();
    uint64_t t0 = now_ns();
    measuring = 1;
    sleep((unsigned)seconds);
    measuring = 0;
    uint64_t t1 = now_ns();
    double cpu1 = cpu_seconds();
    stopping = 1;
    for (int t = 0; t < threads; t++) pthread_join(workers[t].thread, NULL);
    size_t total = 0;
    for (int t = 0; t < threads; t++) total += workers[t].samples_len;
    uint64_t *all = malloc((total + 1) * sizeof *all);
    size_t k = 0;
    for (int t = 0; t < threads; t++) { memcpy(all + k, workers[t].samples, workers[t].samples_len * sizeof *all); k += workers[t].samples_len; }
    qsort(all, total, sizeof *all, compare);
    double wall = (double)(t1 - t0) / 1e9;
    printf("messages_per_s=%.0f p50_us=%.1f p99_us=%.1f client_cpu_pct=%.0f messages=%zu\n",
           (double)total / wall, total ? all[total / 2] / 1e3 : 0.0, total ? all[(size_t)(total * 0.99)] / 1e3 : 0.0,
           100.0 * (cpu1 - cpu0) / wall, total);
    return 0;
}
