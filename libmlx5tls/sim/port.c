/* SPDX-License-Identifier: BSD-3-Clause */
/* The model's frame sinks (see port.h): generic port, capture ring, pcap writer, loopback, tee. */
#include <errno.h>
#include <pcap/pcap.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#include "sim/port.h"
#include "thread_slot.h"

#define PORT_MTU_DEFAULT 1500u
#define PORT_MTU_MIN 68u   /* RFC 791 minimum IPv4 MTU */
#define PORT_MTU_MAX 9978u /* mlx5e max_mtu */

struct sim_port {
	pthread_mutex_t lock; /* serialises xmit (unless ops->concurrent) */
	const struct sim_port_ops *ops;
	void *priv;
	uint32_t mtu;
	/* the counts, a row per thread slot (thread_slot.h), summed when read: queues sending from
	 * their own threads count on lines of their own, with or without the lock */
	struct {
		_Atomic uint64_t frames, bytes, errors;
	} __attribute__((aligned(64))) counts[THREAD_SLOTS];
	/* set for the built-in capture kind, so its accessors can check what they are given */
	struct capture *capture;
};

struct sim_port *sim_port_create(const struct sim_port_ops *ops, void *priv)
{
	struct sim_port *p;

	if (!ops || !ops->xmit) {
		errno = EINVAL;
		return NULL;
	}
	/* aligned: each thread slot's counts on lines of their own */
	p = aligned_alloc(_Alignof(struct sim_port), sizeof(*p));
	if (!p) {
		errno = ENOMEM;
		return NULL;
	}
	memset(p, 0, sizeof(*p));
	if (pthread_mutex_init(&p->lock, NULL)) {
		free(p);
		errno = ENOMEM;
		return NULL;
	}
	p->ops = ops;
	p->priv = priv;
	p->mtu = PORT_MTU_DEFAULT;
	return p;
}

void sim_port_destroy(struct sim_port *port)
{
	if (!port)
		return;
	if (port->ops->destroy)
		port->ops->destroy(port->priv);
	pthread_mutex_destroy(&port->lock);
	free(port);
}

/* One frame into the sink, counted; the port lock held, or a concurrent sink. */
static int xmit_locked(struct sim_port *port, const void *frame, size_t len)
{
	int ret = port->ops->xmit(port->priv, frame, len);
	unsigned int r = thread_slot();

	if (ret) {
		atomic_fetch_add_explicit(&port->counts[r].errors, 1, memory_order_relaxed);
	} else {
		atomic_fetch_add_explicit(&port->counts[r].frames, 1, memory_order_relaxed);
		atomic_fetch_add_explicit(&port->counts[r].bytes, len, memory_order_relaxed);
	}
	return ret;
}

int sim_port_xmit(struct sim_port *port, const void *frame, size_t len)
{
	int ret;

	if (!port || (!frame && len))
		return -EINVAL;
	if (port->ops->concurrent)
		return xmit_locked(port, frame, len);
	pthread_mutex_lock(&port->lock);
	ret = xmit_locked(port, frame, len);
	pthread_mutex_unlock(&port->lock);
	return ret;
}

void sim_port_hold(struct sim_port *port)
{
	if (!port->ops->concurrent)
		pthread_mutex_lock(&port->lock);
}

int sim_port_xmit_held(struct sim_port *port, const void *frame, size_t len)
{
	return frame || !len ? xmit_locked(port, frame, len) : -EINVAL;
}

void sim_port_release(struct sim_port *port)
{
	if (!port->ops->concurrent)
		pthread_mutex_unlock(&port->lock);
}

int sim_port_set_mtu(struct sim_port *port, uint32_t mtu)
{
	if (!port || mtu < PORT_MTU_MIN || mtu > PORT_MTU_MAX)
		return -EINVAL;
	__atomic_store_n(&port->mtu, mtu, __ATOMIC_RELAXED);
	return 0;
}

uint32_t sim_port_mtu(const struct sim_port *port)
{
	return __atomic_load_n(&port->mtu, __ATOMIC_RELAXED);
}

void sim_port_get_stats(struct sim_port *port, struct sim_port_stats *st)
{
	if (!port || !st)
		return;
	memset(st, 0, sizeof(*st));
	for (unsigned int r = 0; r < THREAD_SLOTS; r++) {
		st->frames += atomic_load_explicit(&port->counts[r].frames, memory_order_relaxed);
		st->bytes += atomic_load_explicit(&port->counts[r].bytes, memory_order_relaxed);
		st->errors += atomic_load_explicit(&port->counts[r].errors, memory_order_relaxed);
	}
}

/* ---- capture ---- */

struct capture_frame {
	size_t len;
	uint8_t data[];
};

struct capture {
	struct capture_frame **ring;
	uint32_t cap;
	uint32_t head; /* oldest */
	uint32_t count;
	uint64_t dropped;
};

static int capture_xmit(void *priv, const uint8_t *frame, size_t len)
{
	struct capture *c = priv;
	struct capture_frame *f;

	if (c->count == c->cap) {
		c->dropped++;
		return -ENOBUFS;
	}
	f = malloc(sizeof(*f) + len);
	if (!f)
		return -ENOMEM;
	f->len = len;
	memcpy(f->data, frame, len);
	c->ring[(c->head + c->count) % c->cap] = f;
	c->count++;
	return 0;
}

static void capture_drop_all(struct capture *c)
{
	while (c->count) {
		free(c->ring[c->head]);
		c->ring[c->head] = NULL;
		c->head = (c->head + 1) % c->cap;
		c->count--;
	}
	c->head = 0;
}

static void capture_destroy(void *priv)
{
	struct capture *c = priv;

	capture_drop_all(c);
	free(c->ring);
	free(c);
}

static const struct sim_port_ops capture_ops = {
	.xmit = capture_xmit,
	.destroy = capture_destroy,
};

struct sim_port *sim_port_capture_create(uint32_t max_frames)
{
	struct capture *c;
	struct sim_port *p;

	if (!max_frames) {
		errno = EINVAL;
		return NULL;
	}
	c = calloc(1, sizeof(*c));
	if (!c)
		goto err_nomem;
	c->ring = calloc(max_frames, sizeof(*c->ring));
	if (!c->ring)
		goto err_nomem;
	c->cap = max_frames;
	p = sim_port_create(&capture_ops, c);
	if (!p) {
		free(c->ring);
		free(c);
		return NULL;
	}
	p->capture = c;
	return p;

err_nomem:
	if (c)
		free(c->ring);
	free(c);
	errno = ENOMEM;
	return NULL;
}

size_t sim_port_capture_count(struct sim_port *port)
{
	size_t n = 0;

	if (!port || !port->capture)
		return 0;
	pthread_mutex_lock(&port->lock);
	n = port->capture->count;
	pthread_mutex_unlock(&port->lock);
	return n;
}

const uint8_t *sim_port_capture_frame(struct sim_port *port, size_t idx, size_t *len)
{
	const struct capture_frame *f = NULL;

	if (!port || !port->capture)
		return NULL;
	pthread_mutex_lock(&port->lock);
	if (idx < port->capture->count)
		f = port->capture->ring[(port->capture->head + idx) % port->capture->cap];
	pthread_mutex_unlock(&port->lock);
	if (f && len)
		*len = f->len;
	return f ? f->data : NULL;
}

long sim_port_capture_pop(struct sim_port *port, void *buf, size_t cap)
{
	struct capture *c;
	struct capture_frame *f;
	long len;

	if (!port || !port->capture)
		return -EINVAL;
	c = port->capture;
	pthread_mutex_lock(&port->lock);
	if (!c->count) {
		pthread_mutex_unlock(&port->lock);
		return -ENOENT;
	}
	f = c->ring[c->head];
	c->ring[c->head] = NULL;
	c->head = (c->head + 1) % c->cap;
	c->count--;
	pthread_mutex_unlock(&port->lock);
	if (buf)
		memcpy(buf, f->data, f->len < cap ? f->len : cap);
	len = (long)f->len;
	free(f);
	return len;
}

void sim_port_capture_clear(struct sim_port *port)
{
	if (!port || !port->capture)
		return;
	pthread_mutex_lock(&port->lock);
	capture_drop_all(port->capture);
	pthread_mutex_unlock(&port->lock);
}

uint64_t sim_port_capture_dropped(struct sim_port *port)
{
	uint64_t n = 0;

	if (!port || !port->capture)
		return 0;
	pthread_mutex_lock(&port->lock);
	n = port->capture->dropped;
	pthread_mutex_unlock(&port->lock);
	return n;
}

/* ---- pcap ---- */

/* The classic pcap "savefile" (not pcapng), written by libpcap through a dead pcap_t: readers of
 * every age (tcpdump, Wireshark, scapy) open it, and the header fields are libpcap's own. */
#define PCAP_SNAPLEN 262144u

struct pcap_sink {
	pcap_t *dead; /* only carries the linktype, snaplen and precision for the dumper */
	pcap_dumper_t *dump;
	uint32_t flags;
};

static int pcap_xmit(void *priv, const uint8_t *frame, size_t len)
{
	struct pcap_sink *s = priv;
	struct pcap_pkthdr h = { 0 };

	if (!(s->flags & SIM_PCAP_ZERO_TIME)) {
		struct timespec ts = { 0 };

		clock_gettime(CLOCK_REALTIME, &ts);
		h.ts.tv_sec = ts.tv_sec;
		h.ts.tv_usec = (suseconds_t)(ts.tv_nsec / 1000);
	}
	h.caplen = (bpf_u_int32)(len < PCAP_SNAPLEN ? len : PCAP_SNAPLEN);
	h.len = (bpf_u_int32)len;
	pcap_dump((u_char *)s->dump, &h, frame);
	/* pcap_dump() reports nothing; the stream's error flag does. libpcap leaves a stream in
	 * error untouched from then on (no records after one that may be torn), so every later
	 * frame counts as an error too. The flush lets a reader see each frame at once. */
	if (pcap_dump_flush(s->dump) || ferror(pcap_dump_file(s->dump)))
		return -EIO;
	return 0;
}

static void pcap_sink_free(struct pcap_sink *s)
{
	if (s->dump)
		pcap_dump_close(s->dump); /* fcloses the stream */
	if (s->dead)
		pcap_close(s->dead);
	free(s);
}

static void pcap_destroy(void *priv)
{
	pcap_sink_free(priv);
}

static const struct sim_port_ops pcap_ops = {
	.xmit = pcap_xmit,
	.destroy = pcap_destroy,
};

/* Open `path` and have libpcap write the global header to it. 0 or a positive errno. We open
 * the stream ourselves (pcap_dump_fopen) rather than let pcap_dump_open do it, so a failing
 * fopen's errno (ENOENT, EACCES, ...) reaches the caller instead of only libpcap's text. */
static int pcap_sink_open(struct pcap_sink *s, const char *path)
{
	FILE *f;

	s->dead = pcap_open_dead_with_tstamp_precision(DLT_EN10MB, (int)PCAP_SNAPLEN,
						       PCAP_TSTAMP_PRECISION_MICRO);
	if (!s->dead)
		return ENOMEM;
	f = fopen(path, "wb");
	if (!f)
		return errno ? errno : EIO;
	/* On failure libpcap has already closed f (a failed header write is its only failure
	 * for DLT_EN10MB), so f must not be touched again here. */
	s->dump = pcap_dump_fopen(s->dead, f);
	if (!s->dump)
		return EIO;
	/* The header sits in the stream's buffer until now; a full disk shows up here. */
	if (pcap_dump_flush(s->dump))
		return errno ? errno : EIO;
	return 0;
}

struct sim_port *sim_port_pcap_create(const char *path, uint32_t flags)
{
	struct pcap_sink *s;
	struct sim_port *p;
	int err;

	if (!path || (flags & ~(uint32_t)SIM_PCAP_ZERO_TIME)) {
		errno = EINVAL;
		return NULL;
	}
	s = calloc(1, sizeof(*s));
	if (!s) {
		errno = ENOMEM;
		return NULL;
	}
	s->flags = flags;
	err = pcap_sink_open(s, path);
	if (err) {
		pcap_sink_free(s);
		errno = err;
		return NULL;
	}
	p = sim_port_create(&pcap_ops, s);
	if (!p) {
		err = errno;
		pcap_sink_free(s);
		errno = err;
	}
	return p;
}

/* ---- loopback ---- */

struct loopback {
	sim_port_rx_fn rx;
	void *ctx;
};

static int loopback_xmit(void *priv, const uint8_t *frame, size_t len)
{
	const struct loopback *l = priv;

	return l->rx(l->ctx, frame, len);
}

static const struct sim_port_ops loopback_ops = {
	.xmit = loopback_xmit,
	.destroy = free,
};

struct sim_port *sim_port_loopback_create(sim_port_rx_fn rx, void *ctx)
{
	struct loopback *l;
	struct sim_port *p;

	if (!rx) {
		errno = EINVAL;
		return NULL;
	}
	l = calloc(1, sizeof(*l));
	if (!l) {
		errno = ENOMEM;
		return NULL;
	}
	l->rx = rx;
	l->ctx = ctx;
	p = sim_port_create(&loopback_ops, l);
	if (!p)
		free(l);
	return p;
}

/* ---- tee ---- */

struct tee {
	struct sim_port *a, *b;
};

static int tee_xmit(void *priv, const uint8_t *frame, size_t len)
{
	const struct tee *t = priv;
	int ra = sim_port_xmit(t->a, frame, len);
	int rb = sim_port_xmit(t->b, frame, len);

	return ra ? ra : rb;
}

static const struct sim_port_ops tee_ops = {
	.xmit = tee_xmit,
	.destroy = free,
};

struct sim_port *sim_port_tee_create(struct sim_port *a, struct sim_port *b)
{
	struct tee *t;
	struct sim_port *p;

	if (!a || !b || a == b) {
		errno = EINVAL;
		return NULL;
	}
	t = calloc(1, sizeof(*t));
	if (!t) {
		errno = ENOMEM;
		return NULL;
	}
	t->a = a;
	t->b = b;
	p = sim_port_create(&tee_ops, t);
	if (!p)
		free(t);
	return p;
}

void *sim_port_priv(struct sim_port *port)
{
	return port ? port->priv : NULL;
}
