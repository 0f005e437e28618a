/* SPDX-License-Identifier: BSD-3-Clause */
/* An lwIP network interface on libmlx5tls (see lwip_mlx5tls.h). */
#include <errno.h>
#include <stdbool.h>
#include <net/if.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <sys/socket.h>
#include <unistd.h>

#include <lwip/etharp.h>
#include <lwip/init.h>
#include <lwip/priv/tcp_priv.h>
#include <lwip/tcp.h>
#include <lwip/timeouts.h>
#include <netif/ethernet.h>

#include "lwip_mlx5tls.h"

#define SLOT_SIZE 2048u
#define RX_LOG_WQES 12u
#define RX_BATCH 64
#define CONN_BUCKETS 1024u

/* A connection's 4-tuple as its frames carry it: addresses in network order, ports host. */
struct tuple {
	uint32_t local_ip, peer_ip;
	uint16_t local_port, peer_port;
};

/* A transmit buffer a TLS context may still replay from, until the ack passes end_seq. */
struct held {
	uint32_t slot;
	uint32_t end_seq;
};

struct lwmx_conn {
	struct lwmx *l;
	struct tuple t;
	struct mlx5tls_tx *tx;
	struct mlx5tls_rx *rx;
	struct held *held; /* FIFO of frames sent through tx, in send order */
	uint32_t held_head, held_n, held_cap;
	struct lwmx_conn *next; /* bucket chain */
};

/* A received frame lent to lwIP: the pbuf first, so a struct pbuf * is one of these. */
struct rx_pbuf {
	struct pbuf_custom pc;
	struct lwmx *l;
	struct mlx5tls_rx_pkt pkt;
	bool held; /* handed to lwIP, not freed yet */
};

struct lwmx {
	struct mlx5tls_device *dev;
	struct mlx5tls_pd *pd;
	struct mlx5tls_td *td;
	struct mlx5tls_qp *qp;
	struct mlx5tls_rq *rq;
	struct mlx5tls_tir *tir;
	struct mlx5tls_flow *def;
	struct mlx5tls_mr *mr;
	uint8_t *slots;
	uint32_t nslots;
	uint32_t *free_slots;
	uint32_t n_free;
	uint8_t *slot_refs; /* 1: in flight; +1 while a TLS context may replay from it */
	uint32_t unflushed; /* frames posted since the last doorbell */
	struct lwmx_conn *buckets[CONN_BUCKETS];
	struct rx_pbuf *rxp; /* per receive buffer */
	uint32_t nbufs;
	struct netif netif;
	uint8_t mac[6];
	struct lwmx_stats st;
};

static void rx_pbuf_free(struct pbuf *p)
{
	struct rx_pbuf *r = (struct rx_pbuf *)(void *)p;

	r->held = false;
	(void)mlx5tls_rq_release(r->l->rq, &r->pkt);
}

/* At close, a receive buffer still held by a pbuf: say which frame it was, so a busy queue at
 * exit names its holder's traffic. The TCP fields are printed as the buffer holds them now:
 * lwIP's tcp_input turns a header it parsed into host order in place ("as seen"). */
static void report_held(const struct lwmx *l)
{
	for (uint32_t b = 0; b < l->nbufs; b++) {
		const struct rx_pbuf *r = &l->rxp[b];
		const uint8_t *f = r->pkt.data;
		uint32_t len = r->pkt.len;

		if (!r->held)
			continue;
		if (len >= 14 + 20 + 20 && f[12] == 0x08 && f[13] == 0x00 && f[14 + 9] == 6) {
			const uint8_t *tcp = f + 14 + (f[14] & 0xf) * 4;

			fprintf(stderr, "lwmx: buffer %u held: IPv4 frag 0x%02x%02x, TCP (as seen) %u -> %u "
				"flags 0x%02x seq %u, %u bytes\n", b, f[20], f[21], (unsigned int)(tcp[0] << 8 | tcp[1]),
				(unsigned int)(tcp[2] << 8 | tcp[3]), tcp[13],
				(uint32_t)tcp[4] << 24 | (uint32_t)tcp[5] << 16 | (uint32_t)tcp[6] << 8 |
					tcp[7],
				len);
		} else {
			fprintf(stderr, "lwmx: buffer %u held: ethertype 0x%02x%02x, %u bytes\n", b,
				len >= 14 ? f[12] : 0, len >= 14 ? f[13] : 0, len);
		}
	}
}

uint32_t lwmx_pbuf_tls(const struct pbuf *p)
{
	const struct rx_pbuf *r = (const struct rx_pbuf *)(const void *)p;

	if (!p || !(p->flags & PBUF_FLAG_IS_CUSTOM) || r->pc.custom_free_function != rx_pbuf_free)
		return 0;
	return mlx5tls_rx_pkt_tls(&r->pkt);
}

static void slot_put(struct lwmx *l, uint32_t slot)
{
	if (--l->slot_refs[slot] == 0)
		l->free_slots[l->n_free++] = slot;
}

static void reap_tx(struct lwmx *l, unsigned int timeout_ms)
{
	struct mlx5tls_completion c[64];
	int n;

	while ((n = mlx5tls_qp_poll(l->qp, c, 64, timeout_ms)) > 0) {
		for (int i = 0; i < n; i++)
			slot_put(l, (uint32_t)c[i].cookie);
		timeout_ms = 0;
	}
}

/* ---- the connection table ---- */

static unsigned int tuple_hash(const struct tuple *t)
{
	uint32_t h = t->peer_ip * 2654435761u ^ (uint32_t)t->peer_port * 40503u ^ t->local_port;

	return (h ^ h >> 16) % CONN_BUCKETS;
}

static struct lwmx_conn *conn_find(struct lwmx *l, const struct tuple *t)
{
	for (struct lwmx_conn *c = l->buckets[tuple_hash(t)]; c; c = c->next)
		if (!memcmp(&c->t, t, sizeof(*t)))
			return c;
	return NULL;
}

/* The tuple of an IPv4 TCP frame, from this side's view (out: we send it), its TCP sequence
 * and payload length. false for anything else. */
static bool frame_tuple(const uint8_t *f, size_t len, bool out, struct tuple *t, uint32_t *seq,
			uint32_t *pay_len)
{
	size_t l3 = 14, ihl, thl, tot;
	const uint8_t *ip, *tcp;

	if (len < 14 + 20 + 20)
		return false;
	if (f[12] == 0x81 && f[13] == 0x00)
		l3 += 4;
	if (f[l3 - 2] != 0x08 || f[l3 - 1] != 0x00 || len < l3 + 40)
		return false;
	ip = f + l3;
	ihl = (size_t)(ip[0] & 0xf) * 4;
	tot = (size_t)ip[2] << 8 | ip[3];
	if ((ip[0] >> 4) != 4 || ip[9] != 6 || ihl < 20 || tot < ihl + 20 || l3 + tot > len)
		return false;
	tcp = ip + ihl;
	thl = (size_t)(tcp[12] >> 4) * 4;
	if (thl < 20 || ihl + thl > tot)
		return false;
	memset(t, 0, sizeof(*t));
	memcpy(out ? &t->local_ip : &t->peer_ip, ip + 12, 4);
	memcpy(out ? &t->peer_ip : &t->local_ip, ip + 16, 4);
	t->local_port = (uint16_t)((out ? tcp[0] : tcp[2]) << 8 | (out ? tcp[1] : tcp[3]));
	t->peer_port = (uint16_t)((out ? tcp[2] : tcp[0]) << 8 | (out ? tcp[3] : tcp[1]));
	*seq = (uint32_t)tcp[4] << 24 | (uint32_t)tcp[5] << 16 | (uint32_t)tcp[6] << 8 | tcp[7];
	*pay_len = (uint32_t)(tot - ihl - thl);
	return true;
}

struct lwmx_conn *lwmx_conn_add(struct lwmx *l, const struct tcp_pcb *pcb)
{
	struct lwmx_conn *c = calloc(1, sizeof(*c));
	unsigned int h;

	if (!c)
		return NULL;
	c->l = l;
	c->t.local_ip = ip4_addr_get_u32(ip_2_ip4(&pcb->local_ip));
	c->t.peer_ip = ip4_addr_get_u32(ip_2_ip4(&pcb->remote_ip));
	c->t.local_port = pcb->local_port;
	c->t.peer_port = pcb->remote_port;
	h = tuple_hash(&c->t);
	c->next = l->buckets[h];
	l->buckets[h] = c;
	return c;
}

void lwmx_conn_set_tx(struct lwmx_conn *c, struct mlx5tls_tx *tx)
{
	c->tx = tx;
}

void lwmx_conn_set_rx(struct lwmx_conn *c, struct mlx5tls_rx *rx)
{
	c->rx = rx;
}

static bool seq_before_eq(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) <= 0;
}

void lwmx_conn_ack(struct lwmx_conn *c, uint32_t snd_una)
{
	uint32_t hold = snd_una;

	if (c->tx) {
		struct mlx5tls_tx_info ti;

		(void)mlx5tls_tx_ack(c->tx, snd_una);
		/* a frame's buffer stays while its record is held: a retransmission of a later
		 * part of that record makes the device replay the record from its start */
		if (!mlx5tls_tx_query(c->tx, &ti, sizeof(ti)))
			hold = ti.hold_tcp_sn;
	}
	while (c->held_n && seq_before_eq(c->held[c->held_head].end_seq, hold)) {
		slot_put(c->l, c->held[c->held_head].slot);
		c->held_head = (c->held_head + 1) % c->held_cap;
		c->held_n--;
	}
}

void lwmx_conn_del(struct lwmx_conn *c)
{
	struct lwmx_conn **pp;

	if (!c)
		return;
	for (pp = &c->l->buckets[tuple_hash(&c->t)]; *pp; pp = &(*pp)->next) {
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	}
	while (c->held_n) {
		slot_put(c->l, c->held[c->held_head].slot);
		c->held_head = (c->held_head + 1) % c->held_cap;
		c->held_n--;
	}
	free(c->held);
	free(c);
}

static bool hold_slot(struct lwmx_conn *c, uint32_t slot, uint32_t end_seq)
{
	if (c->held_n == c->held_cap) {
		uint32_t cap = c->held_cap ? 2 * c->held_cap : 64;
		struct held *h = malloc(cap * sizeof(*h));

		if (!h)
			return false;
		for (uint32_t i = 0; i < c->held_n; i++)
			h[i] = c->held[(c->held_head + i) % c->held_cap];
		free(c->held);
		c->held = h;
		c->held_head = 0;
		c->held_cap = cap;
	}
	c->held[(c->held_head + c->held_n++) % c->held_cap] = (struct held){ slot, end_seq };
	c->l->slot_refs[slot]++;
	return true;
}

/* RFC 1071 sum of n bytes, added to sum. */
static uint32_t csum_add(uint32_t sum, const uint8_t *p, size_t n)
{
	for (; n > 1; p += 2, n -= 2)
		sum += (uint32_t)(p[0] << 8 | p[1]);
	if (n)
		sum += (uint32_t)p[0] << 8;
	return sum;
}

/*
 * The device checked the TCP checksum of the segment as it arrived (l4_ok) and then decrypted
 * the TLS payload in place, so the checksum field no longer matches the bytes. The kernel trusts
 * the CQE (CHECKSUM_UNNECESSARY); lwIP as Debian builds it checks every checksum in software
 * (no LWIP_CHECKSUM_CTRL_PER_NETIF), so the driver writes the checksum of the plaintext.
 */
static void tcp_csum_fix(uint8_t *f, size_t len)
{
	size_t l3 = 14, ihl, tot;
	uint8_t *ip, *tcp;
	uint32_t sum;

	if (f[12] == 0x81 && f[13] == 0x00)
		l3 += 4;
	ip = f + l3;
	ihl = (size_t)(ip[0] & 0xf) * 4;
	tot = (size_t)ip[2] << 8 | ip[3];
	if (l3 + tot > len || tot < ihl + 20)
		return;
	tcp = ip + ihl;
	tcp[16] = tcp[17] = 0;
	sum = csum_add(0, ip + 12, 8) + 6 + (uint32_t)(tot - ihl);
	sum = csum_add(sum, tcp, tot - ihl);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	sum = ~sum & 0xffff;
	tcp[16] = (uint8_t)(sum >> 8);
	tcp[17] = (uint8_t)sum;
}

struct mlx5tls_qp *lwmx_qp(struct lwmx *l)
{
	return l->qp;
}

struct mlx5tls_rq *lwmx_rq(struct lwmx *l)
{
	return l->rq;
}

struct mlx5tls_td *lwmx_td(struct lwmx *l)
{
	return l->td;
}

static err_t lwmx_linkoutput(struct netif *netif, struct pbuf *p)
{
	struct lwmx *l = netif->state;
	struct mlx5tls_frame f = { 0 };
	uint32_t slot;
	uint8_t *buf;
	int ret;

	if (!l->n_free)
		reap_tx(l, 0);
	if (!l->n_free) {
		(void)mlx5tls_qp_flush(l->qp); /* the device must see what it waits for */
		l->unflushed = 0;
		reap_tx(l, 5); /* the device is behind: wait a little for it */
	}
	if (!l->n_free || p->tot_len > SLOT_SIZE) {
		l->st.tx_no_slot++;
		return ERR_MEM;
	}
	slot = l->free_slots[--l->n_free];
	buf = l->slots + (size_t)slot * SLOT_SIZE;
	f.data = buf;
	f.len = pbuf_copy_partial(p, buf, p->tot_len, 0);
	f.mr = l->mr;
	f.cookie = slot;
	l->slot_refs[slot] = 1;
	{
		struct lwmx_conn *c = NULL;
		struct tuple t;
		uint32_t seq, pay;

		if (frame_tuple(buf, f.len, true, &t, &seq, &pay) && pay)
			c = conn_find(l, &t);
		if (c && c->tx) {
			/* the context may replay these bytes until they are acknowledged */
			if (!hold_slot(c, slot, seq + pay)) {
				l->free_slots[l->n_free++] = slot;
				return ERR_MEM;
			}
			ret = mlx5tls_tx_send(c->tx, &f, MLX5TLS_SEND_F_MORE);
			l->st.tx_tls_frames++;
			if (ret == -ENODATA) {
				/* dropped by the context (its record is released or it straddles
				 * the offload start); TCP retransmits if it must */
				l->st.tx_tls_dropped++;
				slot_put(l, slot);
				return ERR_OK;
			}
		} else {
			ret = mlx5tls_qp_send(l->qp, &f, MLX5TLS_SEND_F_MORE);
		}
	}
	if (ret) {
		slot_put(l, slot);
		l->st.tx_errors++;
		return ERR_IF;
	}
	l->st.tx_frames++;
	l->st.tx_bytes += f.len;
	/* one doorbell for a burst: at the end of lwmx_poll(), or every 32 frames */
	if (++l->unflushed >= 32) {
		(void)mlx5tls_qp_flush(l->qp);
		l->unflushed = 0;
	}
	return ERR_OK;
}

static err_t lwmx_netif_init(struct netif *netif)
{
	struct lwmx *l = netif->state;

	netif->name[0] = 'm';
	netif->name[1] = 'x';
	netif->linkoutput = lwmx_linkoutput;
	netif->output = etharp_output;
	netif->mtu = 1500;
	netif->hwaddr_len = 6;
	memcpy(netif->hwaddr, l->mac, 6);
	netif->flags = NETIF_FLAG_BROADCAST | NETIF_FLAG_ETHARP | NETIF_FLAG_ETHERNET |
		       NETIF_FLAG_LINK_UP;
	return ERR_OK;
}

/* The interface's MAC address (the model's port answers for it), else a local one. */
static void pick_mac(struct lwmx *l, const char *ifname)
{
	static const uint8_t local[6] = { 0x02, 0x4d, 0x35, 0x54, 0x00, 0x01 };
	struct ifreq ifr;
	int fd;

	memcpy(l->mac, local, 6);
	if (!ifname || strlen(ifname) >= IFNAMSIZ)
		return;
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return;
	memset(&ifr, 0, sizeof(ifr));
	memcpy(ifr.ifr_name, ifname, strlen(ifname) + 1);
	if (ioctl(fd, SIOCGIFHWADDR, &ifr) == 0)
		memcpy(l->mac, ifr.ifr_hwaddr.sa_data, 6);
	close(fd);
}

static int open_queues(struct lwmx *l, const struct lwmx_opts *o)
{
	struct mlx5tls_rq_opts ro = { .sz = sizeof(ro), .log_wqes = RX_LOG_WQES };
	struct mlx5tls_qp_opts qo = { .sz = sizeof(qo), .log_sq_wqebbs = 13 };
	struct mlx5tls_rq_attr ra;
	size_t bytes;

	if (o->ifname || o->pcap) {
		struct mlx5tls_model_wire_opts wo = { .sz = sizeof(wo) };

		wo.ifname = o->ifname;
		wo.pcap_path = o->pcap;
		if (mlx5tls_model_wire(l->dev, &wo)) {
			fprintf(stderr, "lwmx: cannot attach the model to %s: %s\n",
				o->ifname ? o->ifname : o->pcap, strerror(errno));
			return -1;
		}
	}
	l->pd = mlx5tls_pd_alloc(l->dev);
	l->td = mlx5tls_td_alloc(l->dev);
	if (!l->pd || !l->td)
		return -1;
	l->qp = mlx5tls_qp_create(l->pd, l->td, &qo);
	l->rq = mlx5tls_rq_create(l->pd, l->td, &ro);
	if (!l->qp || !l->rq)
		return -1;
	l->tir = mlx5tls_tir_create(l->rq, l->td, NULL);
	if (!l->tir)
		return -1;
	l->def = mlx5tls_flow_create_default(l->tir);
	if (!l->def) {
		fprintf(stderr, "lwmx: no catch-all flow: %s\n", strerror(errno));
		return -1;
	}
	if (mlx5tls_rq_query(l->rq, &ra, sizeof(ra)))
		return -1;
	l->nbufs = ra.nbufs;
	l->rxp = calloc(l->nbufs, sizeof(*l->rxp));
	l->nslots = o->tx_slots ? o->tx_slots : 4096u;
	bytes = (size_t)l->nslots * SLOT_SIZE;
	l->slots = aligned_alloc(4096, bytes);
	l->free_slots = calloc(l->nslots, sizeof(*l->free_slots));
	l->slot_refs = calloc(l->nslots, 1);
	if (!l->rxp || !l->slots || !l->free_slots || !l->slot_refs)
		return -1;
	l->mr = mlx5tls_mr_reg(l->pd, l->slots, bytes);
	if (!l->mr)
		return -1;
	for (uint32_t i = 0; i < l->nslots; i++)
		l->free_slots[l->n_free++] = l->nslots - 1 - i;
	return 0;
}

struct lwmx *lwmx_open(const struct lwmx_opts *o)
{
	static int lwip_ready;
	struct lwmx *l = calloc(1, sizeof(*l));

	if (!l)
		return NULL;
	l->dev = mlx5tls_device_open(o->device, NULL);
	if (!l->dev) {
		fprintf(stderr, "lwmx: cannot open device %s: %s\n", o->device ? o->device : "",
			strerror(errno));
		free(l);
		return NULL;
	}
	if (open_queues(l, o)) {
		fprintf(stderr, "lwmx: cannot set up the queues: %s\n", strerror(errno));
		lwmx_close(l);
		return NULL;
	}
	pick_mac(l, o->ifname);
	if (!lwip_ready) {
		lwip_init();
		lwip_ready = 1;
	}
	if (!netif_add(&l->netif, &o->ip, &o->netmask, &o->gw, l, lwmx_netif_init,
		       ethernet_input)) {
		fprintf(stderr, "lwmx: netif_add failed\n");
		lwmx_close(l);
		return NULL;
	}
	netif_set_default(&l->netif);
	netif_set_up(&l->netif);
	netif_set_link_up(&l->netif);
	return l;
}

int lwmx_poll(struct lwmx *l, unsigned int timeout_ms)
{
	struct mlx5tls_rx_pkt pk[RX_BATCH];
	int n, total = 0;

	reap_tx(l, 0);
	n = mlx5tls_rq_poll(l->rq, pk, RX_BATCH, timeout_ms);
	while (n > 0) {
		for (int i = 0; i < n; i++) {
			struct rx_pbuf *r = &l->rxp[pk[i].buf_id];
			struct pbuf *p;

			r->l = l;
			r->pkt = pk[i];
			r->pc.custom_free_function = rx_pbuf_free;
			p = pbuf_alloced_custom(PBUF_RAW, (u16_t)pk[i].len, PBUF_REF, &r->pc,
						pk[i].data, (u16_t)pk[i].len);
			r->held = p != NULL;
			l->st.rx_frames++;
			l->st.rx_bytes += pk[i].len;
			{
				/* a frame of an offloaded connection: its status, in arrival order */
				struct lwmx_conn *c;
				struct tuple t;
				uint32_t seq, pay;

				if (frame_tuple(pk[i].data, pk[i].len, false, &t, &seq, &pay) && pay &&
				    (c = conn_find(l, &t)) && c->rx) {
					(void)mlx5tls_rx_packet(c->rx, seq, pay,
								mlx5tls_rx_pkt_tls(&pk[i]));
					l->st.rx_tls_frames++;
					if (pk[i].tls_status == MLX5TLS_RX_TLS_DECRYPTED) {
						l->st.rx_tls_decrypted++;
						if (pk[i].l4_ok)
							tcp_csum_fix(pk[i].data, pk[i].len);
					}
				}
			}
			if (!p) {
				(void)mlx5tls_rq_release(l->rq, &pk[i]);
				continue;
			}
			if (l->netif.input(p, &l->netif) != ERR_OK) {
				l->st.rx_input_err++;
				pbuf_free(p);
			}
		}
		total += n;
		if (n < RX_BATCH)
			break;
		n = mlx5tls_rq_poll(l->rq, pk, RX_BATCH, 0);
	}
	sys_check_timeouts();
	if (l->unflushed) {
		(void)mlx5tls_qp_flush(l->qp);
		l->unflushed = 0;
	}
	return n < 0 ? n : total;
}

struct netif *lwmx_netif(struct lwmx *l)
{
	return &l->netif;
}

struct mlx5tls_device *lwmx_device(struct lwmx *l)
{
	return l->dev;
}

void lwmx_get_stats(struct lwmx *l, struct lwmx_stats *st)
{
	*st = l->st;
}

void lwmx_close(struct lwmx *l)
{
	if (!l)
		return;
	/* Connections lwIP still keeps on its own (closed by the application, in FIN_WAIT or
	 * LAST_ACK) may hold received pbufs, i.e. receive buffers: reset them all. */
	while (tcp_active_pcbs)
		tcp_abort(tcp_active_pcbs);
	if (l->netif.state == l)
		netif_remove(&l->netif);
	if (l->qp) {
		(void)mlx5tls_qp_flush(l->qp);
		while (l->n_free < l->nslots && l->mr) {
			uint32_t before = l->n_free;

			reap_tx(l, 100);
			if (l->n_free == before)
				break;
		}
		if (mlx5tls_qp_destroy(l->qp))
			fprintf(stderr, "lwmx: queue pair busy: %s\n", strerror(errno));
	}
	if (l->mr && mlx5tls_mr_dereg(l->mr))
		fprintf(stderr, "lwmx: transmit buffers still in use\n");
	if (l->def && mlx5tls_flow_destroy(l->def))
		fprintf(stderr, "lwmx: default flow: %s\n", strerror(errno));
	if (l->tir && mlx5tls_tir_destroy(l->tir))
		fprintf(stderr, "lwmx: default TIR: %s\n", strerror(errno));
	if (l->rq && mlx5tls_rq_destroy(l->rq)) {
		struct mlx5tls_rq_attr ra;

		if (!mlx5tls_rq_query(l->rq, &ra, sizeof(ra)))
			fprintf(stderr, "lwmx: receive queue busy: %u buffers held, %u TIRs\n",
				ra.held, ra.tirs);
		report_held(l);
	}
	/* a failure here leaves objects behind: say which, so a leak report has its cause */
	if (l->td && mlx5tls_td_dealloc(l->td))
		fprintf(stderr, "lwmx: transport domain busy: %s\n", strerror(errno));
	if (l->pd && mlx5tls_pd_dealloc(l->pd))
		fprintf(stderr, "lwmx: protection domain busy: %s\n", strerror(errno));
	if (mlx5tls_device_close(l->dev))
		fprintf(stderr, "lwmx: device close: %s\n", strerror(errno));
	free(l->rxp);
	free(l->slots);
	free(l->free_slots);
	free(l->slot_refs);
	free(l);
}

/* ---- what both servers' main() needs ---- */

int lwmx_parse_cidr(const char *s, struct lwmx_opts *opts)
{
	char buf[32];
	char *slash;
	int bits = 24;

	snprintf(buf, sizeof(buf), "%s", s);
	slash = strchr(buf, '/');
	if (slash) {
		*slash = '\0';
		bits = atoi(slash + 1);
	}
	if (!ip4addr_aton(buf, &opts->ip) || bits < 1 || bits > 32)
		return -1;
	ip4_addr_set_u32(&opts->netmask,
			 lwip_htonl(bits == 32 ? 0xffffffffu : ~(0xffffffffu >> bits)));
	ip4_addr_set_zero(&opts->gw);
	return 0;
}

struct tcp_pcb *lwmx_listen(unsigned int port, tcp_accept_fn accept_fn, const char *prog)
{
	struct tcp_pcb *pcb = tcp_new_ip_type(IPADDR_TYPE_V4), *lpcb;

	if (!pcb || port > 65535 || tcp_bind(pcb, IP4_ADDR_ANY, (u16_t)port) != ERR_OK) {
		fprintf(stderr, "%s: cannot bind port %u\n", prog, port);
		if (pcb)
			tcp_close(pcb);
		return NULL;
	}
	lpcb = tcp_listen_with_backlog(pcb, 255);
	if (!lpcb) {
		fprintf(stderr, "%s: cannot listen on port %u\n", prog, port);
		tcp_close(pcb);
		return NULL;
	}
	tcp_accept(lpcb, accept_fn);
	return lpcb;
}

static double mono_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

int lwmx_run(struct lwmx *l, double duration, const volatile sig_atomic_t *stop,
	     void (*after_poll)(void), const char *prog)
{
	double t0 = mono_s();

	while (!*stop && (duration <= 0 || mono_s() - t0 < duration)) {
		int ret = lwmx_poll(l, 1);

		if (ret < 0) {
			fprintf(stderr, "%s: receive queue failed: %s\n", prog, strerror(-ret));
			return ret;
		}
		if (after_poll)
			after_poll();
	}
	return 0;
}
