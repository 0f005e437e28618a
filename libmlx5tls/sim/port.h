/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The model's Ethernet ports: where a send queue's frames go. A port is a frame sink behind a
 * two-entry ops table (xmit, destroy), so new kinds (such as the AF_PACKET port onto a veth,
 * DESIGN.md layer 3) plug in without touching the queue engine. Built-in kinds:
 *
 *  - capture:  an in-memory ring of frames that a test reads back;
 *  - pcap:     a pcap file (LINKTYPE_ETHERNET), written with libpcap's savefile dumper;
 *  - loopback: hands each frame to a callback, e.g. another model device's receive path;
 *  - tee:      forwards each frame to two other ports (say, capture and pcap together);
 *  - afpacket: sends each frame out of a Linux network interface (a veth or tap end).
 *
 * Frames are what the device puts on the wire, without FCS: the engine pads frames shorter than
 * 60 bytes with zeros, as the MAC does (IEEE 802.3 minimum frame of 64 bytes including the FCS).
 *
 * Every port serialises its own xmit calls (one lock per port), so several queues, each with its
 * own device thread, may share one port - unless its sink says it takes concurrent calls
 * (sim_port_ops.concurrent). A port must outlive the queues that send to it.
 */
#ifndef MLX5TLS_SIM_PORT_H
#define MLX5TLS_SIM_PORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct sim_port;

/* The sink interface. `priv` is what sim_port_create() was given. xmit returns 0, or -errno if
 * the frame could not be delivered (the port counts it in `errors`; the queue carries on, as a
 * NIC does when the wire drops a frame). destroy (optional) frees priv. concurrent: xmit may
 * run on several threads at once (a sink with nothing to order or protect, such as a discard):
 * the port then takes no lock - not for xmit, nor for a burst (sim_port_hold) - so queues on
 * different threads send without waiting for each other. */
struct sim_port_ops {
	int (*xmit)(void *priv, const uint8_t *frame, size_t len);
	void (*destroy)(void *priv);
	bool concurrent;
};

/* A port over caller-provided ops. NULL + errno (EINVAL without xmit, ENOMEM). */
struct sim_port *sim_port_create(const struct sim_port_ops *ops, void *priv);
/* Calls ops->destroy(priv). NULL is a no-op. */
void sim_port_destroy(struct sim_port *port);

/* Deliver one frame (used by the queue engine). 0 or the sink's -errno. */
int sim_port_xmit(struct sim_port *port, const void *frame, size_t len);
/* A burst from one queue (the segments of an LSO WQE): hold the port (its lock) once, deliver
 * each frame with sim_port_xmit_held, release. The frames reach the sink back to back, as a NIC
 * sends one TSO burst; nothing else may use the port (xmit, stats, capture) in between, so the
 * holder calls nothing but sim_port_xmit_held on it until it releases. */
void sim_port_hold(struct sim_port *port);
int sim_port_xmit_held(struct sim_port *port, const void *frame, size_t len);
void sim_port_release(struct sim_port *port);

/*
 * The L3 MTU of the link: default 1500, range 68..9978 (9978 is the max_mtu the Linux mlx5e
 * driver reports for ConnectX ports). It counts the bytes after the Ethernet header and any VLAN
 * tags, as `ip link` MTU does. A send queue refuses to emit a longer frame (error CQE, see
 * sq.h). 0 or -EINVAL.
 */
int sim_port_set_mtu(struct sim_port *port, uint32_t mtu);
uint32_t sim_port_mtu(const struct sim_port *port);

struct sim_port_stats {
	uint64_t frames; /* delivered */
	uint64_t bytes;
	uint64_t errors; /* xmit returned an error */
};
void sim_port_get_stats(struct sim_port *port, struct sim_port_stats *st);

/* ---- in-memory capture ---- */

/* A ring of up to `max_frames` frames (oldest first). When it is full, new frames are dropped
 * and counted (sim_port_capture_dropped) rather than overwriting unread ones. */
struct sim_port *sim_port_capture_create(uint32_t max_frames);
/* Frames held. */
size_t sim_port_capture_count(struct sim_port *port);
/* The idx-th held frame (0 = oldest), or NULL. The bytes stay valid until the frame is popped,
 * the capture cleared or the port destroyed. */
const uint8_t *sim_port_capture_frame(struct sim_port *port, size_t idx, size_t *len);
/* Remove the oldest frame, copying up to `cap` bytes of it to buf (buf may be NULL). Returns its
 * full length, or -ENOENT if the ring is empty. */
long sim_port_capture_pop(struct sim_port *port, void *buf, size_t cap);
void sim_port_capture_clear(struct sim_port *port);
uint64_t sim_port_capture_dropped(struct sim_port *port);

/* ---- pcap file ---- */

enum {
	SIM_PCAP_ZERO_TIME = 1u << 0, /* timestamps 0 (reproducible files), not wall time */
};
/*
 * Create (truncate) `path` and have libpcap (pcap_dump_fopen on a DLT_EN10MB dead handle) write
 * the classic pcap global header: magic 0xa1b2c3d4 (microseconds), version 2.4, snaplen 262144,
 * LINKTYPE_ETHERNET (1), in host byte order. Each frame is written as a record and flushed when
 * it is sent, so a reader sees it at once. After a write error (disk full, ...) every later
 * frame fails with -EIO too: libpcap stops writing to a stream in error rather than append
 * records after one that may be torn. NULL + errno: EINVAL (no path, unknown flag), fopen's
 * errno (ENOENT, EACCES, ...), ENOSPC/EIO writing the header, ENOMEM.
 */
struct sim_port *sim_port_pcap_create(const char *path, uint32_t flags);

/* ---- loopback ---- */

/* Each frame is passed to rx(ctx, frame, len) (e.g. a model device's RX entry point). rx returns
 * 0 or -errno. The frame buffer belongs to the caller of rx for the duration of the call only. */
typedef int (*sim_port_rx_fn)(void *ctx, const uint8_t *frame, size_t len);
struct sim_port *sim_port_loopback_create(sim_port_rx_fn rx, void *ctx);

/* ---- tee ---- */

/* Each frame goes to a, then b. The tee does not own a or b. */
struct sim_port *sim_port_tee_create(struct sim_port *a, struct sim_port *b);

/* ---- AF_PACKET (a real Linux interface) ---- */

/*
 * Send each frame out of interface `ifname` (e.g. one end of a veth pair, or a tap) through a
 * raw AF_PACKET socket bound to it, so tcpdump, Wireshark or a kernel TLS peer on the other end
 * see the model's wire. The frames go out as they are (complete Ethernet frames, no FCS added).
 * The socket uses protocol 0, so it receives nothing: the port is a sink only.
 *
 * The port's MTU starts as the interface's (SIOCGIFMTU) when that is within 68..9978, else 1500;
 * it does not follow later changes of the interface MTU by itself (call sim_port_set_mtu). The
 * kernel may still refuse a frame longer than the interface MTU allows: xmit returns -EMSGSIZE
 * then, counted in the port's errors like any other send() failure (-ENETDOWN when the link is
 * down, -ENOBUFS, ...).
 *
 * `flags` must be 0 (reserved). Needs CAP_NET_RAW. NULL + errno: EINVAL (no/too long name,
 * flags), ENODEV (no such interface), EPERM/EACCES (no CAP_NET_RAW), the socket's errno, ENOMEM.
 */
struct sim_port *sim_port_afpacket_create(const char *ifname, uint32_t flags);

/*
 * The same port, also receiving: a thread of the port (one per port, started here, joined at
 * destroy or sim_port_afpacket_stop_rx) reads every frame arriving on the interface (ETH_P_ALL,
 * PACKET_IGNORE_OUTGOING: the port's own frames are not seen again) and calls fn(ctx, frame,
 * len) - e.g. a model device's receive path - then tick(ctx) (optional) at least every
 * millisecond. Frames longer than MTU + 22 bytes (GSO/GRO super-frames: offloads left on at the
 * other end) are dropped and counted; frames whose checksum the kernel left partial (a veth
 * peer's TX checksum offload) are passed as they are and counted - the model sees a bad L4
 * checksum, as a NIC would. The netns demo turns those offloads off on the peer so the model
 * sees what a cable carries.
 */
struct sim_afpacket_rx {
	int (*fn)(void *ctx, const uint8_t *frame, size_t len);
	void (*tick)(void *ctx);
	void *ctx;
};
struct sim_port *sim_port_afpacket_create_rx(const char *ifname, uint32_t flags,
					     const struct sim_afpacket_rx *rx);
/* Stop and join the receive thread (no more fn/tick calls after it returns). No-op without. */
void sim_port_afpacket_stop_rx(struct sim_port *port);

struct sim_afpacket_rx_stats {
	uint64_t frames;       /* handed to fn */
	uint64_t bytes;
	uint64_t oversize;     /* dropped: longer than the link allows */
	uint64_t csum_partial; /* passed with a partial checksum */
	uint64_t errors;       /* socket errors */
};
void sim_port_afpacket_rx_stats(struct sim_port *port, struct sim_afpacket_rx_stats *st);

/* The priv a port was created with (for the port kinds' own accessors). */
void *sim_port_priv(struct sim_port *port);

#endif /* MLX5TLS_SIM_PORT_H */
