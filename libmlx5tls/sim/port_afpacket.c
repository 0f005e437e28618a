/* SPDX-License-Identifier: BSD-3-Clause */
/* The AF_PACKET port (see port.h): the model's frames leave through a real Linux interface. */
#include <errno.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "sim/port.h"

/* The model's MTU range (port.c); an interface outside it leaves the port at the default. */
#define AFP_MTU_MIN 68u
#define AFP_MTU_MAX 9978u

struct afpacket {
	int fd;
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

static void afpacket_destroy(void *priv)
{
	struct afpacket *a = priv;

	close(a->fd);
	free(a);
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

/* A send-only packet socket bound to ifindex. The fd, or -errno. */
static int afpacket_open(unsigned int ifindex)
{
	struct sockaddr_ll sll;
	int fd;

	/* Protocol 0 registers no receive hook, so the kernel never queues incoming frames on a
	 * socket nobody reads; it can still send. */
	fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	memset(&sll, 0, sizeof(sll));
	sll.sll_family = AF_PACKET;
	sll.sll_protocol = 0;
	sll.sll_ifindex = (int)ifindex;
	if (bind(fd, (const struct sockaddr *)&sll, sizeof(sll)) < 0) {
		int err = errno;

		close(fd);
		return -err;
	}
	return fd;
}

struct sim_port *sim_port_afpacket_create(const char *ifname, uint32_t flags)
{
	struct afpacket *a;
	struct sim_port *p;
	unsigned int ifindex;
	uint32_t mtu;
	int fd;

	if (!ifname || !ifname[0] || strlen(ifname) >= IFNAMSIZ || flags) {
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
	fd = afpacket_open(ifindex);
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
