/*
 * One-way delay for bench/network, in the hub namespace, where the kernel has no netem
 * (CONFIG_NET_SCH_NETEM unset): nftables queues every forwarded packet to the NFQUEUE of
 * the node that sent it (queue i = node i's uplink), and this program accepts each one
 * `delay ± jitter` after it read it, as `netem delay D J rate R` would: uniform jitter,
 * and a packet never leaves before the one ahead of it on the same uplink (netem with a
 * rate orders its queue the same way), so one batch verdict releases a queue's head.
 * Only metadata is copied to userspace (NFQNL_COPY_META); segmentation offload stays on
 * (NFQA_CFG_F_GSO), so a 64 KiB TCP segment is one verdict.
 *
 *   paw-delay <queues> <delay µs> <jitter µs> <seed>
 *
 * Prints "ready" once every queue is bound. Exits on SIGTERM/SIGINT or when stdin closes
 * (its run is gone). On a line "stats" on stdin, and on exit, prints one JSON line: packets, the most queued at once, and how late verdicts
 * were against their release time (µs: p50, p99, max), so a run can show the emulation
 * held under load.
 */
#define _GNU_SOURCE
/* glibc's <netinet/in.h> before the kernel's headers, which then skip their copies. */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_queue.h>
#include <linux/netlink.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_QUEUES 256
#define RING 16384 /* per queue; the kernel queue is capped below it (QUEUE_MAXLEN) */
#define LATE_BUCKETS 100001 /* 1 µs each up to 100 ms, then the last */

struct entry { uint32_t id; int64_t release; };
struct queue { struct entry ring[RING]; uint32_t head, tail; int64_t last; };

static struct queue *queues;
static int nqueues, fd;
static int64_t delay_us, jitter_us;
static uint64_t rng, packets, most_queued, late_hist[LATE_BUCKETS], late_max;
static volatile sig_atomic_t stop_requested;

static int64_t now_us(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (int64_t)t.tv_sec * 1000000 + t.tv_nsec / 1000;
}

static uint64_t next_random(void) { /* xorshift64* */
  rng ^= rng >> 12; rng ^= rng << 25; rng ^= rng >> 27;
  return rng * 2685821657736338717ULL;
}

static void put_attr(char *buf, size_t *len, uint16_t type, const void *data, uint16_t size) {
  struct nlattr *a = (struct nlattr *)(buf + *len);
  a->nla_type = type;
  a->nla_len = NLA_HDRLEN + size;
  memcpy((char *)a + NLA_HDRLEN, data, size);
  *len += NLA_ALIGN(a->nla_len);
}

static size_t start_msg(char *buf, uint16_t type, uint16_t queue) {
  struct nlmsghdr *h = (struct nlmsghdr *)buf;
  memset(buf, 0, NLMSG_HDRLEN + sizeof(struct nfgenmsg));
  h->nlmsg_type = (NFNL_SUBSYS_QUEUE << 8) | type;
  h->nlmsg_flags = NLM_F_REQUEST;
  struct nfgenmsg *g = (struct nfgenmsg *)(buf + NLMSG_HDRLEN);
  g->nfgen_family = AF_UNSPEC;
  g->version = NFNETLINK_V0;
  g->res_id = htons(queue);
  return NLMSG_HDRLEN + NLMSG_ALIGN(sizeof(struct nfgenmsg));
}

static void send_msg(char *buf, size_t len) {
  ((struct nlmsghdr *)buf)->nlmsg_len = len;
  while (send(fd, buf, len, 0) < 0) {
    if (errno == EINTR) continue;
    perror("paw-delay: send");
    exit(1);
  }
}

static void bind_queue(uint16_t q) {
  char buf[256];
  size_t len = start_msg(buf, NFQNL_MSG_CONFIG, q);
  struct nfqnl_msg_config_cmd cmd = { .command = NFQNL_CFG_CMD_BIND, .pf = htons(AF_INET) };
  put_attr(buf, &len, NFQA_CFG_CMD, &cmd, sizeof cmd);
  send_msg(buf, len);
  len = start_msg(buf, NFQNL_MSG_CONFIG, q);
  struct nfqnl_msg_config_params params = { .copy_range = htonl(0), .copy_mode = NFQNL_COPY_META };
  put_attr(buf, &len, NFQA_CFG_PARAMS, &params, sizeof params);
  uint32_t maxlen = htonl(RING - 1);
  put_attr(buf, &len, NFQA_CFG_QUEUE_MAXLEN, &maxlen, sizeof maxlen);
  uint32_t flags = htonl(NFQA_CFG_F_GSO), mask = htonl(NFQA_CFG_F_GSO);
  put_attr(buf, &len, NFQA_CFG_FLAGS, &flags, sizeof flags);
  put_attr(buf, &len, NFQA_CFG_MASK, &mask, sizeof mask);
  send_msg(buf, len);
}

static void verdict_upto(uint16_t q, uint32_t id) {
  char buf[64];
  size_t len = start_msg(buf, NFQNL_MSG_VERDICT_BATCH, q);
  struct nfqnl_msg_verdict_hdr v = { .verdict = htonl(NF_ACCEPT), .id = htonl(id) };
  put_attr(buf, &len, NFQA_VERDICT_HDR, &v, sizeof v);
  send_msg(buf, len);
}

static void on_packet(struct nlmsghdr *h, int64_t at) {
  if ((h->nlmsg_type & 0xff) != NFQNL_MSG_PACKET) return;
  struct nfgenmsg *g = NLMSG_DATA(h);
  uint16_t q = ntohs(g->res_id);
  if (q >= nqueues) return;
  int remaining = h->nlmsg_len - NLMSG_HDRLEN - NLMSG_ALIGN(sizeof *g);
  struct nlattr *a = (struct nlattr *)((char *)g + NLMSG_ALIGN(sizeof *g));
  while (remaining >= (int)NLA_HDRLEN && a->nla_len >= NLA_HDRLEN && a->nla_len <= remaining) {
    if ((a->nla_type & NLA_TYPE_MASK) == NFQA_PACKET_HDR) {
      struct nfqnl_msg_packet_hdr *p = (struct nfqnl_msg_packet_hdr *)((char *)a + NLA_HDRLEN);
      struct queue *qu = &queues[q];
      int64_t jitter = jitter_us > 0 ? (int64_t)(next_random() % (uint64_t)(2 * jitter_us + 1)) - jitter_us : 0;
      int64_t release = at + delay_us + jitter;
      if (release < qu->last) release = qu->last;
      qu->last = release;
      qu->ring[qu->tail % RING] = (struct entry){ ntohl(p->packet_id), release };
      qu->tail++;
      packets++;
      if (qu->tail - qu->head > most_queued) most_queued = qu->tail - qu->head;
      return;
    }
    remaining -= NLA_ALIGN(a->nla_len);
    a = (struct nlattr *)((char *)a + NLA_ALIGN(a->nla_len));
  }
}

/* Releases every queue's due head; returns µs until the next release (-1: none waiting). */
static int64_t release_due(void) {
  int64_t t = now_us(), next = -1;
  for (int q = 0; q < nqueues; q++) {
    struct queue *qu = &queues[q];
    int found = 0;
    uint32_t last_id = 0;
    while (qu->head != qu->tail && qu->ring[qu->head % RING].release <= t) {
      struct entry *e = &qu->ring[qu->head % RING];
      uint64_t late = (uint64_t)(t - e->release);
      late_hist[late < LATE_BUCKETS ? late : LATE_BUCKETS - 1]++;
      if (late > late_max) late_max = late;
      last_id = e->id;
      found = 1;
      qu->head++;
    }
    if (found) verdict_upto(q, last_id);
    if (qu->head != qu->tail) {
      int64_t wait = qu->ring[qu->head % RING].release - t;
      if (next < 0 || wait < next) next = wait;
    }
  }
  return next;
}

static uint64_t late_percentile(double p) {
  uint64_t total = 0, seen = 0;
  for (int i = 0; i < LATE_BUCKETS; i++) total += late_hist[i];
  if (total == 0) return 0;
  uint64_t rank = (uint64_t)(p * total + 0.999999);
  if (rank < 1) rank = 1;
  for (int i = 0; i < LATE_BUCKETS; i++) {
    seen += late_hist[i];
    if (seen >= rank) return i;
  }
  return LATE_BUCKETS - 1;
}

static void print_stats(void) {
  printf("{\"packets\":%llu,\"mostQueued\":%llu,\"lateUs\":{\"p50\":%llu,\"p99\":%llu,\"max\":%llu}}\n",
         (unsigned long long)packets, (unsigned long long)most_queued,
         (unsigned long long)late_percentile(0.5), (unsigned long long)late_percentile(0.99),
         (unsigned long long)late_max);
  fflush(stdout);
}

static void on_signal(int sig) { (void)sig; stop_requested = 1; }

int main(int argc, char **argv) {
  if (argc != 5) {
    fprintf(stderr, "usage: paw-delay <queues> <delay us> <jitter us> <seed>\n");
    return 2;
  }
  nqueues = atoi(argv[1]);
  delay_us = atoll(argv[2]);
  jitter_us = atoll(argv[3]);
  rng = strtoull(argv[4], NULL, 10) * 0x9E3779B97F4A7C15ULL + 1;
  if (nqueues < 1 || nqueues > MAX_QUEUES || delay_us < 0 || jitter_us < 0 || jitter_us > delay_us) {
    fprintf(stderr, "paw-delay: bad arguments\n");
    return 2;
  }
  queues = calloc(nqueues, sizeof *queues);
  fd = socket(AF_NETLINK, SOCK_RAW, NETLINK_NETFILTER);
  if (queues == NULL || fd < 0) {
    perror("paw-delay: socket");
    return 1;
  }
  int size = 32 << 20, on = 1;
  setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof size);
  setsockopt(fd, SOL_NETLINK, NETLINK_NO_ENOBUFS, &on, sizeof on);
  struct sockaddr_nl local = { .nl_family = AF_NETLINK };
  if (bind(fd, (struct sockaddr *)&local, sizeof local) < 0) {
    perror("paw-delay: bind");
    return 1;
  }
  for (int q = 0; q < nqueues; q++) bind_queue(q);
  struct sigaction sa = { .sa_handler = on_signal };
  sigaction(SIGTERM, &sa, NULL);
  sigaction(SIGINT, &sa, NULL);
  signal(SIGPIPE, SIG_IGN);
  printf("ready\n");
  fflush(stdout);

  static char buf[1 << 20];
  struct pollfd fds[2] = { { .fd = fd, .events = POLLIN }, { .fd = 0, .events = POLLIN } };
  int64_t wait = -1;
  while (!stop_requested) {
    struct timespec ts = { .tv_sec = wait / 1000000, .tv_nsec = (wait % 1000000) * 1000 };
    int ready = ppoll(fds, 2, wait < 0 ? NULL : &ts, NULL);
    if (ready < 0 && errno != EINTR) {
      perror("paw-delay: ppoll");
      return 1;
    }
    if (fds[1].revents & (POLLIN | POLLHUP)) {
      char line[64];
      ssize_t n = read(0, line, sizeof line);
      if (n <= 0) break; /* stdin closed: the run that started this is gone */
      print_stats();
    }
    if (fds[0].revents & POLLIN) {
      for (;;) {
        ssize_t n = recv(fd, buf, sizeof buf, MSG_DONTWAIT);
        if (n < 0) {
          if (errno == EINTR) continue;
          if (errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS) break;
          perror("paw-delay: recv");
          return 1;
        }
        int64_t at = now_us();
        for (struct nlmsghdr *h = (struct nlmsghdr *)buf; NLMSG_OK(h, (size_t)n); h = NLMSG_NEXT(h, n)) {
          if (h->nlmsg_type == NLMSG_ERROR) {
            struct nlmsgerr *e = NLMSG_DATA(h);
            if (e->error != 0) fprintf(stderr, "paw-delay: netlink error %d\n", e->error);
            continue;
          }
          on_packet(h, at);
        }
      }
    }
    wait = release_due();
  }
  print_stats();
  return 0;
}
