/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * TLS RX engine of the device model: the object and its control - create/destroy, static params
 * (R1, R10, R11), progress params (R2), the GET_PSV image (R12), counters and the ops table. The
 * rules are stated with the packet path in tls_rx.c.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "prm/mlx5_ifc_tls.h"
#include "secret.h"
#include "sim/tls_evp.h"
#include "sim/tls_rx_internal.h"

const char *sim_tls_rx_state_str(enum sim_tls_rx_state st)
{
	switch (st) {
	case SIM_TLS_RX_NO_STATIC:
		return "NO_STATIC";
	case SIM_TLS_RX_WAIT_START:
		return "WAIT_START";
	case SIM_TLS_RX_SYNC:
		return "SYNC";
	case SIM_TLS_RX_LOST:
		return "LOST";
	case SIM_TLS_RX_SEARCHING:
		return "SEARCHING";
	case SIM_TLS_RX_RESYNC_PENDING:
		return "RESYNC_PENDING";
	}
	return "?";
}

const char *sim_tls_rx_status_str(enum sim_tls_rx_status s)
{
	switch (s) {
	case SIM_TLS_RX_NOT_DECRYPTED:
		return "NOT_DECRYPTED";
	case SIM_TLS_RX_DECRYPTED:
		return "DECRYPTED";
	case SIM_TLS_RX_RESYNC:
		return "RESYNC";
	case SIM_TLS_RX_ERROR:
		return "ERROR";
	}
	return "?";
}

struct sim_tls_rx *sim_tls_rx_create(void)
{
	/* The state is ordinary heap: none of it is secret but the keys (tls_rx_internal.h).
	 * malloc, not calloc: glibc's calloc (2.36 here) does not take chunks from the thread's
	 * cache, so among 100k TIRs it would write cold lines where malloc takes back the chunk
	 * the last engine destroyed freed, still cached. Zeroed by assignment: GCC turns malloc
	 * followed by a memset of the same size into calloc. */
	struct sim_tls_rx *rx = malloc(sizeof(*rx));

	if (!rx) {
		errno = ENOMEM;
		return NULL;
	}
	/* no OpenSSL context yet: the first record makes it (tls_evp.h) */
	*rx = (struct sim_tls_rx){ .state = SIM_TLS_RX_NO_STATIC };
	rx->k = secret_alloc(sizeof(*rx->k));
	if (!rx->k) {
		free(rx);
		errno = ENOMEM;
		return NULL;
	}
	return rx;
}

void sim_tls_rx_destroy(struct sim_tls_rx *rx)
{
	if (!rx)
		return;
	/* Among 100k TIRs this state is cold: the destroy reads its first line, and the next
	 * engine made on the thread gets the same memory back from malloc's per-thread cache (last
	 * in, first out) and writes every line of it. Asked for together now, the lines arrive in
	 * one latency instead of costing that create one each (as the library's context destroys
	 * do, mlx5tls_tx_destroy). */
	for (size_t off = 0; off < sizeof(*rx); off += 64)
		__builtin_prefetch((const char *)rx + off, 1);
	__builtin_prefetch((const char *)rx + sizeof(*rx) - 1, 1);
	__builtin_prefetch(rx->k, 1); /* wiped by secret_free */
	sim_tls_evp_free(&rx->gcm); /* cleanses the key schedules */
	sim_tls_evp_free(&rx->ctr);
	secret_free(rx->k, sizeof(*rx->k)); /* wipes */
	free(rx);
}

static bool all_zero(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i])
			return false;
	return true;
}

int sim_tls_rx_set_static(struct sim_tls_rx *rx, const uint8_t params[64], const uint8_t *key,
			  size_t key_len)
{
	uint64_t p[DEVX_ST_SZ_QW(tls_static_params)]; /* aligned copy for DEVX_GET64 */
	enum sim_tls_rx_state prev;
	uint32_t version, resync_tcp_sn;
	uint64_t rn;
	bool running;
	int ret = 0;

	if (!rx || !params || !key)
		return -EINVAL;
	memcpy(p, params, sizeof(p));
	version = DEVX_GET(tls_static_params, p, tls_version);
	/* R1: fact sheet 6 constants and reserved fields */
	if (DEVX_GET(tls_static_params, p, const_2) != 2 ||
	    DEVX_GET(tls_static_params, p, const_1) != 1 ||
	    DEVX_GET(tls_static_params, p, encryption_standard) !=
		    MLX5_STATIC_PARAMS_ENCRYPTION_STANDARD_TLS ||
	    (version != MLX5_STATIC_PARAMS_TLS_VERSION_1_2 &&
	     version != MLX5_STATIC_PARAMS_TLS_VERSION_1_3) ||
	    DEVX_GET(tls_static_params, p, reserved_at_8) ||
	    DEVX_GET(tls_static_params, p, reserved_at_20) ||
	    DEVX_GET(tls_static_params, p, reserved_at_100) || !all_zero(params + 36, 28)) {
		explicit_bzero(p, sizeof(p));
		return -EINVAL;
	}
	if (key_len != 16 && key_len != 32) { /* AES-GCM-128 / -256 */
		explicit_bzero(p, sizeof(p));
		return -EINVAL;
	}
	prev = rx->state;
	running = prev != SIM_TLS_RX_NO_STATIC && prev != SIM_TLS_RX_WAIT_START;
	if (running && rx->tls13 != (version == MLX5_STATIC_PARAMS_TLS_VERSION_1_3)) {
		explicit_bzero(p, sizeof(p));
		return -EINVAL; /* R1 */
	}
	/* The new key replaces the old one in both contexts (tls_rx_rec.c keys them again before
	 * their next use, the GCM one with the salt as its fixed IV part): the GCM state of the
	 * tracked record is reset, as the cases below take into account. */
	explicit_bzero(rx->k->key, sizeof(rx->k->key));
	memcpy(rx->k->key, key, key_len);
	rx->gcm_keyed = false;
	rx->ctr_keyed = false;
	memcpy(rx->k->salt, DEVX_ADDR_OF(tls_static_params, p, gcm_iv), sizeof(rx->k->salt));
	rx->tls13 = version == MLX5_STATIC_PARAMS_TLS_VERSION_1_3;
	rx->key_bits = (uint32_t)key_len * 8;
	memcpy(rx->k->implicit_iv, DEVX_ADDR_OF(tls_static_params, p, implicit_iv),
	       sizeof(rx->k->implicit_iv));
	rn = DEVX_GET64(tls_static_params, p, initial_record_number);
	resync_tcp_sn = DEVX_GET(tls_static_params, p, resync_tcp_sn);
	explicit_bzero(p, sizeof(p));
	rx->initial_rn = rn;
	rx->c.statics++;

	switch (prev) {
	case SIM_TLS_RX_NO_STATIC:
	case SIM_TLS_RX_WAIT_START:
		rx->state = SIM_TLS_RX_WAIT_START; /* R1 */
		break;
	case SIM_TLS_RX_RESYNC_PENDING:
		if (resync_tcp_sn == rx->resync_seq) { /* R10 */
			rx->w.rn = rn + (rx->w.rn - rx->guess_rn);
			rx->state = SIM_TLS_RX_SYNC;
			rx->started = true;
			rx->walking = false;
			rx->c.resync_answers++;
			ret = sim_tls_rx_resume_record(rx);
		} else {
			rx->c.resync_ignored++; /* R11 */
		}
		break;
	case SIM_TLS_RX_SYNC:
	case SIM_TLS_RX_LOST: /* R11 */
		if (resync_tcp_sn == rx->w.seq)
			rx->w.rn = rn;
		else
			rx->c.resync_ignored++;
		/* the re-key reset the GCM state: re-begin the record or pass it unauthenticated */
		rx->w.crypt = false;
		ret = sim_tls_rx_resume_record(rx);
		break;
	default: /* SEARCHING: nothing to place it on (R11) */
		rx->c.resync_ignored++;
		break;
	}
	return ret;
}

int sim_tls_rx_set_progress(struct sim_tls_rx *rx, const uint8_t params[12])
{
	uint32_t p[DEVX_ST_SZ_DW(tls_progress_params)];

	if (!rx || !params)
		return -EINVAL;
	if (rx->state == SIM_TLS_RX_NO_STATIC)
		return -EPROTO;
	memcpy(p, params, sizeof(p));
	/* R2: what the kernel posts at add (fact sheet 7, 11.2) */
	if (DEVX_GET(tls_progress_params, p, record_tracker_state) !=
		    MLX5_TLS_PROGRESS_PARAMS_RECORD_TRACKER_STATE_START ||
	    DEVX_GET(tls_progress_params, p, auth_state) !=
		    MLX5_TLS_PROGRESS_PARAMS_AUTH_STATE_NO_OFFLOAD ||
	    DEVX_GET(tls_progress_params, p, hw_resync_tcp_sn) ||
	    DEVX_GET(tls_progress_params, p, reserved_at_44) ||
	    DEVX_GET(tls_progress_params, p, hw_offset_record_number))
		return -EINVAL;
	memset(&rx->w, 0, sizeof(rx->w));
	rx->w.seq = DEVX_GET(tls_progress_params, p, next_record_tcp_sn);
	rx->w.rn = rx->initial_rn;
	rx->expected = rx->w.seq;
	rx->state = SIM_TLS_RX_SYNC;
	rx->started = false;
	rx->walking = false;
	rx->chain = 0;
	rx->win_len = 0;
	rx->resync_seq = 0; /* the SET_PSV writes the device fields too (R12) */
	rx->guess_rn = 0;
	rx->c.starts++;
	return 0;
}

/* R12: the first byte of the next header the tracker has not begun. */
static uint32_t next_header_seq(const struct sim_tls_rx *rx)
{
	return rx->w.len ? rx->w.seq + rx->w.len : rx->w.seq;
}

int sim_tls_rx_get_progress(const struct sim_tls_rx *rx, uint8_t out[16])
{
	uint32_t p[DEVX_ST_SZ_DW(tls_progress_params)];
	uint32_t tracker = MLX5_TLS_PROGRESS_PARAMS_RECORD_TRACKER_STATE_START;
	uint32_t auth = MLX5_TLS_PROGRESS_PARAMS_AUTH_STATE_NO_OFFLOAD;
	uint32_t next = 0, offset = 0;

	if (!rx || !out)
		return -EINVAL;
	if (rx->state == SIM_TLS_RX_NO_STATIC)
		return -EPROTO;
	switch (rx->state) {
	case SIM_TLS_RX_SYNC:
		next = next_header_seq(rx);
		if (rx->started) {
			tracker = MLX5_TLS_PROGRESS_PARAMS_RECORD_TRACKER_STATE_TRACKING;
			auth = MLX5_TLS_PROGRESS_PARAMS_AUTH_STATE_OFFLOAD;
		}
		break;
	case SIM_TLS_RX_LOST:
		next = next_header_seq(rx);
		tracker = MLX5_TLS_PROGRESS_PARAMS_RECORD_TRACKER_STATE_SEARCHING;
		break;
	case SIM_TLS_RX_SEARCHING:
		next = rx->walking ? next_header_seq(rx) : 0;
		tracker = MLX5_TLS_PROGRESS_PARAMS_RECORD_TRACKER_STATE_SEARCHING;
		break;
	case SIM_TLS_RX_RESYNC_PENDING:
		next = next_header_seq(rx);
		tracker = MLX5_TLS_PROGRESS_PARAMS_RECORD_TRACKER_STATE_TRACKING;
		offset = (uint32_t)(rx->w.rn - rx->guess_rn) & 0xffffffu;
		break;
	default: /* WAIT_START: no SET_PSV yet, the progress context is zero */
		break;
	}
	memset(p, 0, sizeof(p));
	DEVX_SET(tls_progress_params, p, next_record_tcp_sn, next);
	DEVX_SET(tls_progress_params, p, hw_resync_tcp_sn, rx->resync_seq);
	DEVX_SET(tls_progress_params, p, record_tracker_state, tracker);
	DEVX_SET(tls_progress_params, p, auth_state, auth);
	DEVX_SET(tls_progress_params, p, hw_offset_record_number, offset);
	memset(out, 0, 4); /* tis_tir_number: the caller's */
	memcpy(out + 4, p, sizeof(p));
	return 0;
}

void sim_tls_rx_get_stats(const struct sim_tls_rx *rx, struct sim_tls_rx_stats *st)
{
	*st = rx->c;
	st->state = rx->state;
	st->tls13 = rx->tls13;
	st->evp_ctxs = (uint8_t)((rx->gcm != NULL) + (rx->ctr != NULL));
	st->key_bits = rx->key_bits;
	st->expected_seq = rx->expected;
	st->record_number = rx->w.rn;
	st->record_seq = rx->w.seq;
	st->record_offset = rx->w.off;
	st->record_len = rx->w.len;
	st->record_skip = rx->w.skip;
	st->resync_seq = rx->resync_seq;
	st->resync_offset = rx->state == SIM_TLS_RX_RESYNC_PENDING ?
				    (uint32_t)(rx->w.rn - rx->guess_rn) & 0xffffffu : 0;
}

/* ---- struct sim_tls_rx_engine_ops adapter ---- */

static void *ops_create(void)
{
	return sim_tls_rx_create();
}

static void ops_destroy(void *ctx)
{
	sim_tls_rx_destroy(ctx);
}

static int ops_set_static(void *ctx, const uint8_t params[64], const uint8_t *key, size_t key_len)
{
	return sim_tls_rx_set_static(ctx, params, key, key_len);
}

static int ops_set_progress(void *ctx, const uint8_t params[12])
{
	return sim_tls_rx_set_progress(ctx, params);
}

static int ops_get_progress(const void *ctx, uint8_t out[16])
{
	return sim_tls_rx_get_progress(ctx, out);
}

static int ops_packet(void *ctx, uint32_t tcp_seq, uint8_t *payload, size_t len, bool l4_csum_ok,
		      enum sim_tls_rx_status *status)
{
	return sim_tls_rx_packet(ctx, tcp_seq, payload, len, l4_csum_ok, status);
}

static int ops_packet_to(void *ctx, uint32_t tcp_seq, const uint8_t *in, uint8_t *out, size_t len,
			 bool l4_csum_ok, enum sim_tls_rx_status *status)
{
	return sim_tls_rx_packet_to(ctx, tcp_seq, in, out, len, l4_csum_ok, status);
}

const struct sim_tls_rx_engine_ops sim_tls_rx_engine_ops = {
	.create = ops_create,
	.destroy = ops_destroy,
	.set_static = ops_set_static,
	.set_progress = ops_set_progress,
	.get_progress = ops_get_progress,
	.packet = ops_packet,
	.packet_to = ops_packet_to,
};
