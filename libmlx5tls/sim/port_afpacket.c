/* SPDX-License-Identifier: BSD-3-Clause */
/* The AF_PACKET port (see port.h): the model's frames leave through a real Linux interface, and,
 * with a receiver, the frames arriving on it enter the model's receive path on a thread of the
 * port. */
#include <errno.h>
#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <fcntl.h>
#include <unistd.h>

#include "sim/port.h"

/* The model's MTU range (port.c); an interface outside it leaves the port at the default. */
#define AFP_MTU_MIN 68u
#define AFP_MTU_MAX 9978u

/* Receive buffer: larger than any frame a sane interface delivers, so a GSO/GRO super-frame is
 * seen whole (and counted as oversize) rather than cut. */
#define AFP_RX_BUF 65536u
/* How often the receive thread calls the tick (fault stages release held frames). */
#define AFP_TICK_MS 1

struct afpacket {
	int fd;
	uint32_t mtu;
	struct sim_afpacket_rx rx;
	bool rx_on;
	int stop_pipe[2];
	pthread_t thread;
	_Atomic uint64_t rx_frames, rx_bytes, rx_oversize, rx_csum_partial, rx_errors;
};

static int afpacket_xmit(void *priv, const uint8_t *frame, size_t len)
{
	const struct afpacket *a = priv;
	ssize_t n;

	/* A blocking send: when the socket's send buffer is full the device thread waits for the
	 * interface to drain rather than drop the frame, as a NIC's MAC waits on pause frames. */
	do {
		n = send(a->fd, frame, len, 0);
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		return errno ? -errno : -EIO;
	/* a packet socket sends a frame whole or not at all; anything else is a broken frame */
	return (size_t)n == len ? 0 : -EIO;
}

static void afpacket_stop(struct afpacket *a)
{
	ssize_t w;

	if (!a->rx_on)
		return;
	do {
		w = write(a->stop_pipe[1], "x", 1);
	} while (w < 0 && errno == EINTR);
	pthread_join(a->thread, NULL);
	close(a->stop_pipe[0]);
	close(a->stop_pipe[1]);
	a->rx_on = false;
}

static void afpacket_destroy(void *priv)
{
	struct afpacket *a = priv;

	afpacket_stop(a);
	close(a->fd);
	free(a);
}

void sim_port_afpacket_stop_rx(struct sim_port *port)
{
	struct afpacket *a = port ? sim_port_priv(port) : NULL;

	if (a)
		afpacket_stop(a);
}

static const struct sim_port_ops afpacket_ops = {
	.xmit = afpacket_xmit,
	.destroy = afpacket_destroy,
};

/* The interface's MTU, or 0 if it cannot be read or is outside the model's range. */
static uint32_t afpacket_if_mtu(int fd, const char *ifname)
{
	struct ifreq ifr;

	memset(&ifr, 0, sizeof(ifr));
	/* the caller checked that the name fits, NUL included */
	memcpy(ifr.ifr_name, ifname, strlen(ifname) + 1);
	if (ioctl(fd, SIOCGIFMTU, &ifr) < 0)
		return 0;
	if (ifr.ifr_mtu < (int)AFP_MTU_MIN || ifr.ifr_mtu > (int)AFP_MTU_MAX)
		return 0;
	return (uint32_t)ifr.ifr_mtu;
}

/* A packet socket bound to ifindex: send-only (protocol 0), or also receiving every frame
 * (ETH_P_ALL) except its own outgoing ones. The fd, or -errno. */
static int afpacket_open(unsigned int ifindex, bool rx)
{
	uint16_t proto = rx ? htons(ETH_P_ALL) : 0;
	struct sockaddr_ll sll;
	int fd;

	/* Protocol 0 registers no receive hook, so the kernel never queues incoming frames on a
	 * socket nobody reads; it can still send. */
	fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, proto);
	if (fd < 0)
		return -errno;
	if (rx) {
		int one = 1;

		/* the frames this socket (the model) sends are not looped back to it (Linux 4.20;
		 * older kernels: the receive loop also skips PACKET_OUTGOING) */
		(void)setsockopt(fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one, sizeof(one));
		/* tp_status per frame: TP_STATUS_CSUMNOTREADY tells a checksum left partial */
		(void)setsockopt(fd, SOL_PACKET, PACKET_AUXDATA, &one, sizeof(one));
	}
	memset(&sll, 0, sizeof(sll));
	sll.sll_family = AF_PACKET;
	sll.sll_protocol = proto;
	sll.sll_ifindex = (int)ifindex;
	if (bind(fd, (const struct sockaddr *)&sll, sizeof(sll)) < 0) {
		int err = errno;

		close(fd);
		return -err;
	}
	return fd;
}

/* Read one frame and hand it on. false when the socket failed for good. */
static bool afpacket_rx_one(struct afpacket *a, uint8_t *buf)
{
	union {
		struct cmsghdr h;
		uint8_t b[CMSG_SPACE(sizeof(struct tpacket_auxdata))];
	} ctl;
	struct sockaddr_ll from;
	struct iovec iov = { .iov_base = buf, .iov_len = AFP_RX_BUF };
	struct msghdr msg = {
		.msg_name = &from, .msg_namelen = sizeof(from),
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = ctl.b, .msg_controllen = sizeof(ctl),
	};
	bool csum_partial = false;
	ssize_t n;

	n = recvmsg(a->fd, &msg, MSG_TRUNC | MSG_DONTWAIT);
	if (n < 0) {
		if (errno == EAGAIN || errno == EINTR)
			return true;
		atomic_fetch_add(&a->rx_errors, 1);
		return errno != EBADF;
	}
	if (from.sll_pkttype == PACKET_OUTGOING)
		return true; /* our own frame (no PACKET_IGNORE_OUTGOING on this kernel) */
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
		struct tpacket_auxdata aux;

		if (c->cmsg_level != SOL_PACKET || c->cmsg_type != PACKET_AUXDATA)
			continue;
		memcpy(&aux, CMSG_DATA(c), sizeof(aux));
		csum_partial = (aux.tp_status & TP_STATUS_CSUMNOTREADY) != 0;
	}
	/* A frame longer than the link allows (MTU + Ethernet + two VLAN tags) is a GSO/GRO
	 * super-frame of a peer with offloads left on: a cable never carries it, so neither does
	 * the model's port. Counted, dropped. */
	if ((size_t)n > AFP_RX_BUF || (size_t)n > (size_t)a->mtu + 22u) {
		atomic_fetch_add(&a->rx_oversize, 1);
		return true;
	}
	/* A partial checksum (the peer's TX checksum offload on a veth) is passed as it is: the
	 * model reports it as a bad L4 checksum, as a NIC would. Counted. */
	if (csum_partial)
		atomic_fetch_add(&a->rx_csum_partial, 1);
	atomic_fetch_add(&a->rx_frames, 1);
	atomic_fetch_add(&a->rx_bytes, (uint64_t)n);
	(void)a->rx.fn(a->rx.ctx, buf, (size_t)n);
	return true;
}

static void *afpacket_rx_thread(void *arg)
{
	struct afpacket *a = arg;
	uint8_t *buf = malloc(AFP_RX_BUF);

	if (!buf)
		return NULL;
	for (;;) {
		struct pollfd pf[2] = {
			{ .fd = a->fd, .events = POLLIN },
			{ .fd = a->stop_pipe[0], .events = POLLIN },
		};
		int n = poll(pf, 2, AFP_TICK_MS);

		if (n < 0 && errno != EINTR)
			break;
		if (pf[1].revents)
			break;
		if (n > 0 && (pf[0].revents & POLLIN)) {
			/* a burst at most, then the tick */
			for (int i = 0; i < 64; i++) {
				int avail = 0;

				if (!afpacket_rx_one(a, buf))
					goto out;
				if (ioctl(a->fd, FIONREAD, &avail) < 0 || avail <= 0)
					break;
			}
		} else if (n > 0 && (pf[0].revents & (POLLERR | POLLHUP | POLLNVAL))) {
			int err = 0;
			socklen_t sl = sizeof(err);

			/* ENETDOWN and friends: clear and go on (the link may come back) */
			(void)getsockopt(a->fd, SOL_SOCKET, SO_ERROR, &err, &sl);
			atomic_fetch_add(&a->rx_errors, 1);
		}
		if (a->rx.tick)
			a->rx.tick(a->rx.ctx);
	}
out:
	free(buf);
	return NULL;
}

void sim_port_afpacket_rx_stats(struct sim_port *port, struct sim_afpacket_rx_stats *st)
{
	const struct afpacket *a = sim_port_priv(port);

	memset(st, 0, sizeof(*st));
	if (!a)
		return;
	st->frames = atomic_load(&a->rx_frames);
	st->bytes = atomic_load(&a->rx_bytes);
	st->oversize = atomic_load(&a->rx_oversize);
	st->csum_partial = atomic_load(&a->rx_csum_partial);
	st->errors = atomic_load(&a->rx_errors);
}

struct sim_port *sim_port_afpacket_create(const char *ifname, uint32_t flags)
{
	return sim_port_afpacket_create_rx(ifname, flags, NULL);
}

struct sim_port *sim_port_afpacket_create_rx(const char *ifname, uint32_t flags,
					     const struct sim_afpacket_rx *rx)
{
	struct afpacket *a;
	struct sim_port *p;
	unsigned int ifindex;
	uint32_t mtu;
	int fd;

	if (!ifname || !ifname[0] || strlen(ifname) >= IFNAMSIZ || flags || (rx && !rx->fn)) {
		errno = EINVAL;
		return NULL;
	}
	/* Resolve the name first: an unknown interface is ENODEV with or without CAP_NET_RAW. */
	errno = 0;
	ifindex = if_nametoindex(ifname);
	if (!ifindex) {
		errno = errno ? errno : ENODEV;
		return NULL;
	}
	fd = afpacket_open(ifindex, rx != NULL);
	if (fd < 0) {
		errno = -fd;
		return NULL;
	}
	mtu = afpacket_if_mtu(fd, ifname);
	a = calloc(1, sizeof(*a));
	if (!a) {
		close(fd);
		errno = ENOMEM;
		return NULL;
	}
	a->fd = fd;
	a->mtu = mtu ? mtu : 1500u;
	if (rx) {
		int err;

		a->rx = *rx;
		if (pipe2(a->stop_pipe, O_CLOEXEC) < 0) {
			err = errno;
			afpacket_destroy(a);
			errno = err;
			return NULL;
		}
		err = pthread_create(&a->thread, NULL, afpacket_rx_thread, a);
		if (err) {
			close(a->stop_pipe[0]);
			close(a->stop_pipe[1]);
			afpacket_destroy(a);
			errno = err;
			return NULL;
		}
		a->rx_on = true;
	}
	p = sim_port_create(&afpacket_ops, a);
	if (!p) {
		int err = errno;

		afpacket_destroy(a);
		errno = err;
		return NULL;
	}
	if (mtu)
		(void)sim_port_set_mtu(p, mtu); /* in range, so it cannot fail */
	return p;
}
