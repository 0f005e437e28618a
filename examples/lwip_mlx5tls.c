/* SPDX-License-Identifier: BSD-3-Clause */
/* An lwIP network interface on libmlx5tls (see lwip_mlx5tls.h). */
#include <errno.h>
#include <net/if.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <lwip/etharp.h>
#include <lwip/init.h>
#include <lwip/timeouts.h>
#include <netif/ethernet.h>

#include "lwip_mlx5tls.h"

#define SLOT_SIZE 2048u
#define RX_LOG_WQES 12u
#define RX_BATCH 64

/* A received frame lent to lwIP: the pbuf first, so a struct pbuf * is one of these. */
struct rx_pbuf {
	struct pbuf_custom pc;
	struct lwmx *l;
	struct mlx5tls_rx_pkt pkt;
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
	struct rx_pbuf *rxp; /* per receive buffer */
	uint32_t nbufs;
	struct netif netif;
	uint8_t mac[6];
	struct lwmx_stats st;
};

static void rx_pbuf_free(struct pbuf *p)
{
	struct rx_pbuf *r = (struct rx_pbuf *)(void *)p;

	(void)mlx5tls_rq_release(r->l->rq, &r->pkt);
}

uint32_t lwmx_pbuf_tls(const struct pbuf *p)
{
	const struct rx_pbuf *r = (const struct rx_pbuf *)(const void *)p;

	if (!p || !(p->flags & PBUF_FLAG_IS_CUSTOM) || r->pc.custom_free_function != rx_pbuf_free)
		return 0;
	return mlx5tls_rx_pkt_tls(&r->pkt);
}

static void reap_tx(struct lwmx *l, unsigned int timeout_ms)
{
	struct mlx5tls_completion c[64];
	int n;

	while ((n = mlx5tls_qp_poll(l->qp, c, 64, timeout_ms)) > 0) {
		for (int i = 0; i < n; i++)
			l->free_slots[l->n_free++] = (uint32_t)c[i].cookie;
		timeout_ms = 0;
	}
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
	if (!l->n_free)
		reap_tx(l, 5); /* the device is behind: wait a little for it */
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
	ret = mlx5tls_qp_send(l->qp, &f, 0);
	if (ret) {
		l->free_slots[l->n_free++] = slot;
		l->st.tx_errors++;
		return ERR_IF;
	}
	l->st.tx_frames++;
	l->st.tx_bytes += f.len;
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
	if (!l->rxp || !l->slots || !l->free_slots)
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
			l->st.rx_frames++;
			l->st.rx_bytes += pk[i].len;
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
	if (l->netif.state == l)
		netif_remove(&l->netif);
	if (l->qp) {
		while (l->n_free < l->nslots && l->mr) {
			uint32_t before = l->n_free;

			reap_tx(l, 100);
			if (l->n_free == before)
				break;
		}
		mlx5tls_qp_destroy(l->qp);
	}
	if (l->mr)
		mlx5tls_mr_dereg(l->mr);
	if (l->def)
		mlx5tls_flow_destroy(l->def);
	if (l->tir)
		mlx5tls_tir_destroy(l->tir);
	if (l->rq)
		mlx5tls_rq_destroy(l->rq);
	if (l->td)
		mlx5tls_td_dealloc(l->td);
	if (l->pd)
		mlx5tls_pd_dealloc(l->pd);
	mlx5tls_device_close(l->dev);
	free(l->rxp);
	free(l->slots);
	free(l->free_slots);
	free(l);
}
