/* SPDX-License-Identifier: BSD-3-Clause */
/* Completion of received TLS records (rx_sw.h). */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "mlx5tls_internal.h"
#include "rec_pool.h"
#include "rx_sw.h"
#include "secret.h"

#define HDR_LEN 5u
#define TAG_LEN 16u
#define NONCE12_LEN 8u
#define MAX_BODY (16384u + 256u) /* RFC 8446 5.2: what a record buffer holds at most */
#define MAX_INNER (16384u + 1u)  /* RFC 8446 5.4: TLSInnerPlaintext at most 2^14 + 1 */
#define MAX_BODY13 (MAX_INNER + TAG_LEN)                  /* 16401 */
#define MAX_BODY12 (16384u + NONCE12_LEN + TAG_LEN)      /* 16408 */
_Static_assert(MAX_BODY13 <= MAX_BODY && MAX_BODY12 <= MAX_BODY, "record buffer too small");
#define TLS13_OUTER_TYPE 23u
#define TYPE_HANDSHAKE 22u
#define TYPE_APPDATA 23u
#define HS_KEY_UPDATE 24u        /* RFC 8446 4.6.3 */
#define HS_HDR_LEN 4u

/*
 * The keys of one epoch: secret memory (secret.h: locked, not dumped, wiped when freed), one
 * line of it, made when the epoch is loaded (key_load) and wiped and freed when the epoch is
 * forgotten - the next one but RX_SW_EPOCHS - 1 takes its slot - or at rx_sw_free. The rest of
 * the context is ordinary heap: record numbers, marks, counters, OpenSSL context pointers are not
 * secret (the OpenSSL contexts are OpenSSL's heap, cleansed when freed), and a context destroyed
 * cold among 100k then wipes one line per epoch instead of every line of its state (issue 10).
 */
struct rx_key_secret {
	uint8_t key[32];
	uint8_t salt[4];
	uint8_t iv[8]; /* after the salt, as in the TLS 1.3 nonce */
};
_Static_assert(sizeof(struct rx_key_secret) <= 64, "an epoch's keys take one line");

/* How the device numbered records under an epoch's keys (while rx_sw.ks[] holds them). */
struct rx_key {
	uint64_t first_num;   /* record number of the epoch's first record */
	uint64_t first_index; /* its index in the stream (records since create) */
};

struct rx_sw {
	/* first, together, what a context's destroy reads (rx_sw_prefetch_free): for rx_sw_free
	 * the OpenSSL contexts, made at the first record software has to verify or restore (a
	 * connection the device decrypts throughout never needs them), the record buffer and the
	 * epochs' keys; the counts (rx_sw_get_stats, for the device's counters) */
	EVP_CIPHER_CTX *gcm; /* the current epoch's key once gcm_keyed */
	EVP_CIPHER_CTX *ctr;
	uint8_t *rec;        /* see below */
	struct rx_key_secret *ks[RX_SW_EPOCHS]; /* by epoch % RX_SW_EPOCHS; NULL: none kept */
	struct rx_sw_stats st;
	bool tls13;
	bool gcm_keyed;
	uint8_t key_len;     /* 16 or 32, every epoch's (a rekey keeps the cipher) */
	bool failed;        /* sticky after a record that does not verify */
	int fail_err;
	bool stop_at_control;
	enum rx_sw_stop stop;
	unsigned int epoch;
	struct rx_key keys[RX_SW_EPOCHS];
	uint64_t seq;       /* record number of the record being assembled */
	uint64_t index;     /* records completed since create */
	uint32_t have;      /* bytes of it held */
	uint32_t need;      /* its total length; 0 while the header is incomplete */
	unsigned int last_mark;
	/* marks of bytes [0, mark_have) are in `mark`; bytes [mark_have, have) all carry
	 * last_mark (written out only when a byte with another mark follows them or a reader
	 * needs every byte's): a record from packets all decrypted under the same keys - the
	 * common case - costs no per-byte mark writes or compares */
	uint32_t mark_have;
	/* handshake message framing across records (a KeyUpdate must end its record): message
	 * types and lengths, not key material */
	uint32_t hs_skip;
	uint8_t hs_hdr[HS_HDR_LEN];
	uint32_t hs_hdr_have;
	/* the record being assembled and, per byte, RX_SW_MARK_* or an epoch mark: one buffer of
	 * 2 x REC_MAX taken at the first byte assembled and given back when a call ends between
	 * records (a context whose records the device hands over whole never needs it; an idle
	 * connection holds none), from the device's pool when it has one (rec_pool.h): `rec`
	 * above */
	uint8_t *mark;
	struct rec_pool *pool;
};

#define REC_MAX (HDR_LEN + MAX_BODY)

size_t rx_sw_rec_bytes(void)
{
	return 2 * (size_t)REC_MAX;
}

void rx_sw_set_rec_pool(struct rx_sw *rx, struct rec_pool *pool)
{
	rx->pool = pool;
}

static int rec_buf(struct rx_sw *rx)
{
	if (rx->rec)
		return 0;
	/* the plaintext of the record being verified: secret memory, as the keys (taken on the
	 * datapath at a record's first assembled byte, from the pool when there is one) */
	rx->rec = rx->pool ? rec_pool_get(rx->pool, rx_sw_rec_bytes())
			   : secret_alloc(rx_sw_rec_bytes());
	if (!rx->rec)
		return -ENOMEM;
	rx->mark = rx->rec + REC_MAX;
	return 0;
}

static void rec_release(struct rx_sw *rx)
{
	if (rx->pool)
		rec_pool_put(rx->pool, rx->rec, rx_sw_rec_bytes());
	else
		secret_free(rx->rec, rx_sw_rec_bytes()); /* wipes */
	rx->rec = NULL;
	rx->mark = NULL;
	rx->mark_have = 0;
}

/* Between records: nothing is held, the buffer goes back (an idle connection keeps none). */
static void rec_idle(struct rx_sw *rx)
{
	if (rx->rec && !rx->have)
		rec_release(rx);
}

static void put_be64(uint8_t *p, uint64_t v)
{
	for (int i = 7; i >= 0; i--, v >>= 8)
		p[i] = (uint8_t)v;
}

static const EVP_CIPHER *gcm_cipher(size_t key_len)
{
	return key_len == 32 ? EVP_aes_256_gcm() : EVP_aes_128_gcm();
}

/* The GCM context keyed with the current epoch's key. */
static int gcm_ready(struct rx_sw *rx)
{
	const struct rx_key_secret *k = rx->ks[rx->epoch % RX_SW_EPOCHS];

	if (!rx->gcm && !(rx->gcm = EVP_CIPHER_CTX_new()))
		return -ENOMEM;
	if (!rx->gcm_keyed) {
		if (EVP_DecryptInit_ex(rx->gcm, gcm_cipher(rx->key_len), NULL, k->key, NULL) != 1)
			return -EIO;
		rx->gcm_keyed = true;
	}
	return 0;
}

/* The keys of `epoch` in its slot, where they replace (wiped) those of the epoch RX_SW_EPOCHS
 * before. 0, or -ENOMEM with the context unchanged. */
static int key_load(struct rx_sw *rx, unsigned int epoch, const struct tls_crypto_info *ci,
		    size_t ci_len)
{
	unsigned int slot = epoch % RX_SW_EPOCHS;
	struct rx_key_secret *s;
	struct ci_fields cf;
	int ret = crypto_info_fields(ci, ci_len, &cf);

	if (ret)
		return ret;
	s = secret_alloc(sizeof(*s));
	if (!s)
		return -ENOMEM;
	memcpy(s->key, cf.key, cf.key_len);
	memcpy(s->salt, cf.salt, sizeof(s->salt));
	memcpy(s->iv, cf.iv, sizeof(s->iv));
	secret_free(rx->ks[slot], sizeof(*s)); /* the forgotten epoch's, if any: wiped */
	rx->ks[slot] = s;
	rx->key_len = (uint8_t)cf.key_len;
	rx->keys[slot].first_num = cf.first_record;
	rx->keys[slot].first_index = rx->index;
	rx->gcm_keyed = false; /* keyed when software first verifies under it (gcm_ready) */
	rx->epoch = epoch;
	rx->seq = cf.first_record;
	return 0;
}

int rx_sw_init(struct rx_sw **out, const struct tls_crypto_info *ci, size_t ci_len)
{
	struct ci_fields cf;
	struct rx_sw *rx;
	int ret;

	*out = NULL;
	ret = crypto_info_fields(ci, ci_len, &cf);
	if (ret)
		return ret;
	/* the keys apart, in secret memory (key_load); malloc and an assignment, not calloc, as
	 * the model's engine state (sim/tls_rx_params.c): the chunk a destroy just freed */
	rx = malloc(sizeof(*rx));
	if (!rx)
		return -ENOMEM;
	*rx = (struct rx_sw){ .tls13 = cf.tls13 };
	ret = key_load(rx, 0, ci, ci_len);
	if (ret) {
		rx_sw_free(rx);
		return ret;
	}
	*out = rx;
	return 0;
}

/*
 * What a destroy reads leads the structure, up to the counts; the lines after them are asked for
 * too: malloc's per-thread cache hands this memory back (last in, first out) to the next context
 * made on the thread, and rx_sw_init writes every line of it - cold, each would cost that create
 * a miss (as mlx5tls_tx_destroy asks for every line of a TX context).
 */
void rx_sw_prefetch_free(const struct rx_sw *rx)
{
	if (!rx)
		return;
	for (size_t off = 0; off < sizeof(*rx); off += 64)
		__builtin_prefetch((const char *)rx + off, 1);
	__builtin_prefetch((const char *)rx + sizeof(*rx) - 1, 1);
}

void rx_sw_prefetch_keys(const struct rx_sw *rx)
{
	if (!rx)
		return;
	for (unsigned int e = 0; e < RX_SW_EPOCHS; e++)
		if (rx->ks[e])
			__builtin_prefetch(rx->ks[e], 1);
}

void rx_sw_free(struct rx_sw *rx)
{
	if (!rx)
		return;
	EVP_CIPHER_CTX_free(rx->gcm); /* cleanses the key schedules (NULL: nothing) */
	EVP_CIPHER_CTX_free(rx->ctr);
	if (rx->rec) /* wiped when it leaves secret memory (the pool's: when the device goes) */
		rec_release(rx);
	for (unsigned int e = 0; e < RX_SW_EPOCHS; e++)
		secret_free(rx->ks[e], sizeof(*rx->ks[e])); /* wipes */
	free(rx);
}

void rx_sw_set_stop_at_control(struct rx_sw *rx, bool on)
{
	rx->stop_at_control = on;
}

enum rx_sw_stop rx_sw_stopped(const struct rx_sw *rx)
{
	return rx->stop;
}

void rx_sw_resume(struct rx_sw *rx)
{
	rx->stop = RX_SW_GOING;
}

unsigned int rx_sw_epoch(const struct rx_sw *rx)
{
	return rx->epoch;
}

int rx_sw_rekey(struct rx_sw *rx, const struct tls_crypto_info *ci, size_t ci_len)
{
	struct ci_fields cf;
	int ret;

	if (rx->stop != RX_SW_STOP_KEY_UPDATE || rx->have || !rx->tls13)
		return -EINVAL;
	ret = crypto_info_fields(ci, ci_len, &cf);
	if (ret)
		return ret;
	if (!cf.tls13 || cf.key_len != rx->key_len)
		return -EINVAL;
	ret = key_load(rx, rx->epoch + 1, ci, ci_len);
	if (ret) {
		rx->failed = true;
		rx->fail_err = ret;
		return ret;
	}
	rx->stop = RX_SW_GOING;
	return (int)rx->epoch;
}

uint32_t rx_sw_held(const struct rx_sw *rx)
{
	return rx->have;
}

uint32_t rx_sw_to_boundary(const struct rx_sw *rx)
{
	return rx->need ? rx->need - rx->have : HDR_LEN - rx->have;
}

size_t rx_sw_mem(const struct rx_sw *rx)
{
	size_t n;

	if (!rx)
		return 0;
	n = sizeof(*rx) + (rx->rec ? rx_sw_rec_bytes() : 0);
	for (unsigned int e = 0; e < RX_SW_EPOCHS; e++)
		n += rx->ks[e] ? sizeof(*rx->ks[e]) : 0;
	return n;
}

uint64_t rx_sw_next_record(const struct rx_sw *rx)
{
	return rx->seq;
}

void rx_sw_get_stats(const struct rx_sw *rx, struct rx_sw_stats *st)
{
	*st = rx->st;
}

uint32_t rx_sw_body_offset(const struct rx_sw *rx)
{
	return HDR_LEN + (rx->tls13 ? 0 : NONCE12_LEN);
}

/*
 * The 12-byte GCM nonce the device used for the held record under the keys of epoch e (RFC 5288
 * / RFC 8446 5.3): past its epoch the device numbered records on from the epoch's first one.
 */
static void record_nonce(const struct rx_sw *rx, unsigned int e, uint8_t nonce[12])
{
	const struct rx_key_secret *s = rx->ks[e];
	const struct rx_key *k = &rx->keys[e];

	memcpy(nonce, s->salt, 4);
	if (rx->tls13) {
		uint8_t seq[8];

		put_be64(seq, k->first_num + (rx->index - k->first_index));
		for (int i = 0; i < 8; i++)
			nonce[4 + i] = s->iv[i] ^ seq[i];
	} else {
		memcpy(nonce + 4, rx->rec + HDR_LEN, NONCE12_LEN);
	}
}

/*
 * Put the keystream of epoch e back on payload[0, n), which sits at offset off of the record's
 * payload: AES-GCM encrypts payload block i with the counter block nonce || BE32(2 + i) (NIST SP
 * 800-38D, 96-bit IV: J0 = nonce || 1), so the same AES-CTR run turns the plaintext the device
 * wrote back into the ciphertext that was sent.
 */
static int reencrypt(struct rx_sw *rx, unsigned int e, uint8_t *payload, uint32_t off,
		     uint32_t n)
{
	static const uint8_t zeros[16];
	const struct rx_key_secret *k = rx->ks[e];
	uint8_t ctr[16], skip[16];
	uint32_t block = off / 16;
	int outl = 0, ret = 0;

	record_nonce(rx, e, ctr);
	ctr[12] = (uint8_t)((block + 2) >> 24);
	ctr[13] = (uint8_t)((block + 2) >> 16);
	ctr[14] = (uint8_t)((block + 2) >> 8);
	ctr[15] = (uint8_t)(block + 2);
	if (!rx->ctr && !(rx->ctr = EVP_CIPHER_CTX_new()))
		return -ENOMEM;
	if (EVP_EncryptInit_ex(rx->ctr, rx->key_len == 32 ? EVP_aes_256_ctr() : EVP_aes_128_ctr(),
			       NULL, k->key, ctr) != 1 ||
	    (off % 16 && EVP_EncryptUpdate(rx->ctr, skip, &outl, zeros, (int)(off % 16)) != 1) ||
	    EVP_EncryptUpdate(rx->ctr, payload, &outl, payload, (int)n) != 1)
		ret = -EIO;
	explicit_bzero(ctr, sizeof(ctr));
	explicit_bzero(skip, sizeof(skip));
	if (!ret)
		rx->st.reencrypted_bytes += n;
	return ret;
}

/* The epoch of a mark, or -EBADMSG for foreign bytes and epochs no longer kept. */
static bool mark_valid(unsigned int mark)
{
	return mark <= RX_SW_EPOCHS || mark == RX_SW_MARK_FOREIGN;
}

static int mark_epoch(const struct rx_sw *rx, unsigned int mark)
{
	unsigned int e;

	if (mark == RX_SW_MARK_FOREIGN || mark < 1 || mark > RX_SW_EPOCHS)
		return -EBADMSG;
	e = mark - 1;
	if (!rx->ks[e])
		return -EBADMSG;
	return (int)e;
}

/* Write out the marks of the bytes [mark_have, have) (all last_mark). */
static void marks_flush(struct rx_sw *rx)
{
	if (rx->have > rx->mark_have)
		memset(rx->mark + rx->mark_have, (int)rx->last_mark, rx->have - rx->mark_have);
	rx->mark_have = rx->have;
}

/*
 * Restore payload bytes buf[from, to) of the held record (marks in m, payload offsets counted
 * from body_off) to what was sent: every run a device decrypted is encrypted again under the
 * epoch that decrypted it.
 */
static int restore_runs(struct rx_sw *rx, uint8_t *buf, const uint8_t *m, uint32_t from,
			uint32_t to, uint32_t body_off)
{
	for (uint32_t i = from; i < to;) {
		uint32_t j = i;
		int e;

		if (m[i] == RX_SW_MARK_RECEIVED) {
			i++;
			continue;
		}
		while (j < to && m[j] == m[i])
			j++;
		e = mark_epoch(rx, m[i]);
		if (e < 0)
			return e;
		e = reencrypt(rx, (unsigned int)e, buf + i, i - body_off, j - i);
		if (e)
			return e;
		i = j;
	}
	return 0;
}

/* Decrypt and verify the held record in software, in place. 0 or -EBADMSG / -EIO. */
static int verify_sw(struct rx_sw *rx, uint32_t body_off, uint32_t pt_len)
{
	uint8_t *payload = rx->rec + body_off, aad[13], nonce[12];
	size_t aad_len;
	int outl = 0, ret;

	/* encrypt the device-decrypted runs again: the whole record is then as sent */
	marks_flush(rx);
	ret = restore_runs(rx, rx->rec, rx->mark, body_off, body_off + pt_len, body_off);
	if (ret)
		return ret;
	if (rx->tls13) {
		memcpy(aad, rx->rec, HDR_LEN);
		aad_len = HDR_LEN;
	} else {
		put_be64(aad, rx->seq);
		memcpy(aad + 8, rx->rec, 3);
		aad[11] = (uint8_t)(pt_len >> 8);
		aad[12] = (uint8_t)pt_len;
		aad_len = sizeof(aad);
	}
	ret = gcm_ready(rx);
	if (ret)
		return ret;
	record_nonce(rx, rx->epoch % RX_SW_EPOCHS, nonce);
	if (EVP_DecryptInit_ex(rx->gcm, NULL, NULL, NULL, nonce) != 1 ||
	    EVP_DecryptUpdate(rx->gcm, NULL, &outl, aad, (int)aad_len) != 1 ||
	    EVP_DecryptUpdate(rx->gcm, payload, &outl, payload, (int)pt_len) != 1 ||
	    EVP_CIPHER_CTX_ctrl(rx->gcm, EVP_CTRL_GCM_SET_TAG, TAG_LEN, payload + pt_len) != 1)
		ret = -EIO;
	else if (EVP_DecryptFinal_ex(rx->gcm, payload + pt_len, &outl) != 1)
		ret = -EBADMSG;
	explicit_bzero(nonce, sizeof(nonce));
	/* a record that does not verify was decrypted in place all the same: its plaintext is
	 * nobody's to read (the context has failed; hand-back refuses) - wipe it now rather than
	 * at free */
	if (ret)
		explicit_bzero(payload, pt_len);
	return ret;
}

static int fail(struct rx_sw *rx, int err)
{
	if (err == -EBADMSG || err == -EMSGSIZE)
		rx->st.failed++;
	rx->failed = true;
	rx->fail_err = err;
	return err;
}

/*
 * Follow handshake message framing through a handshake record's plaintext (messages may span
 * records). A KeyUpdate (RFC 8446 4.6.3: one byte) must be the last message of its record
 * (RFC 8446 5.1: handshake messages MUST NOT span key changes). Returns 1 when the record ends
 * with a KeyUpdate, 0 otherwise, -EBADMSG for a KeyUpdate anywhere else.
 */
static int handshake_walk(struct rx_sw *rx, const uint8_t *pt, uint32_t len)
{
	uint32_t off = 0;
	int key_update = 0;

	while (off < len) {
		uint32_t n;

		if (rx->hs_skip) {
			n = len - off < rx->hs_skip ? len - off : rx->hs_skip;
			rx->hs_skip -= n;
			off += n;
			continue;
		}
		rx->hs_hdr[rx->hs_hdr_have++] = pt[off++];
		if (rx->hs_hdr_have < HS_HDR_LEN)
			continue;
		rx->hs_hdr_have = 0;
		n = (uint32_t)rx->hs_hdr[1] << 16 | (uint32_t)rx->hs_hdr[2] << 8 | rx->hs_hdr[3];
		if (rx->hs_hdr[0] == HS_KEY_UPDATE) {
			if (n != 1 || off + 1 != len)
				return -EBADMSG;
			key_update = 1;
		}
		rx->hs_skip = n;
	}
	return key_update;
}

/* The held record is complete: verify it (device or software) and deliver it. */
static int complete_record(struct rx_sw *rx, rx_sw_record_fn cb, void *ctx)
{
	uint32_t body_off = rx_sw_body_offset(rx);
	uint32_t pt_len = rx->need - body_off - TAG_LEN;
	uint8_t own = (uint8_t)rx_sw_mark(rx->epoch);
	/* the device vouches for the tag only if it decrypted every payload byte, and the packet
	 * holding the tag, under this record's own keys */
	bool by_device = rx->last_mark == own;
	const uint8_t *pt = rx->rec + body_off;
	uint8_t type = rx->rec[0];
	int ret = 0, ku = 0;

	/* all marks equal to own: those not written out are last_mark; of the others the first
	 * is, and each equals the next (one vectorised pass) */
	if (by_device && pt_len && rx->mark_have > body_off) {
		uint32_t m_end = rx->mark_have < body_off + pt_len ? rx->mark_have
								   : body_off + pt_len;

		by_device = rx->mark[body_off] == own &&
			    !memcmp(rx->mark + body_off, rx->mark + body_off + 1,
				    m_end - body_off - 1);
	}
	/* the next number would wrap: TLS forbids it (RFC 8446 5.3, kernel tls_advance_record_sn) */
	if (rx->seq == UINT64_MAX)
		return fail(rx, -EBADMSG);
	if (!by_device) {
		ret = verify_sw(rx, body_off, pt_len);
		if (ret)
			return fail(rx, ret);
	}
	if (rx->tls13) {
		/* RFC 8446 5.4: the content type is the last non-zero byte */
		while (pt_len && !pt[pt_len - 1])
			pt_len--;
		if (!pt_len)
			return fail(rx, -EBADMSG);
		type = pt[--pt_len];
	}
	if (pt_len > MAX_INNER - 1)
		return fail(rx, -EMSGSIZE);
	if (type == TYPE_HANDSHAKE && rx->tls13) {
		ku = handshake_walk(rx, pt, pt_len);
		if (ku < 0)
			return fail(rx, ku);
	}
	rx->st.records++;
	if (by_device)
		rx->st.by_device++;
	else
		rx->st.by_software++;
	rx->seq++;
	rx->index++;
	rx->have = 0;
	rx->mark_have = 0;
	rx->need = 0;
	if (ku) {
		rx->st.key_updates++;
		rx->stop = RX_SW_STOP_KEY_UPDATE;
	} else if (rx->stop_at_control && type != TYPE_APPDATA) {
		rx->stop = RX_SW_STOP_CONTROL;
	}
	ret = cb ? cb(ctx, type, pt, pt_len) : 0;
	/* Plaintext software decrypted exists only here: wiped once delivered. The device's was
	 * decrypted in the application's receive buffers, where the same bytes stay until the
	 * application reuses them, so wiping this copy would protect nothing (and cost a pass over
	 * every record); the next record overwrites it and rx_sw_free wipes the buffer (secret
	 * memory: locked, not dumped). Unverified plaintext never gets here (verify_sw failed). */
	if (!by_device)
		explicit_bzero(rx->rec, body_off + pt_len);
	return ret;
}

/*
 * 0 and the body length, -EBADMSG (not a record header of this version), -EMSGSIZE: a body
 * longer than the largest plaintext (2^14, RFC 8446 5.1 / RFC 5246 6.2.1; TLS 1.3: plus the
 * inner type, 5.4) with its AEAD overhead - the kernel's bound (tls_sw: TLS_MAX_PAYLOAD_SIZE +
 * overhead), tighter than the 2^14 + 256 a sender may never exceed (RFC 8446 5.2).
 */
int rx_sw_header_check(const struct rx_sw *rx, const uint8_t *h, uint32_t *body)
{
	uint32_t min = (rx->tls13 ? 1u : NONCE12_LEN) + TAG_LEN;

	*body = (uint32_t)h[3] << 8 | h[4];
	if (h[1] != 3 || h[2] != 3)
		return -EBADMSG;
	if (rx->tls13 ? h[0] != TLS13_OUTER_TYPE : h[0] < 20 || h[0] > 24)
		return -EBADMSG;
	if (*body > (rx->tls13 ? MAX_BODY13 : MAX_BODY12))
		return -EMSGSIZE;
	return *body < min ? -EBADMSG : 0;
}

static int input(struct rx_sw *rx, const uint8_t *data, size_t len, unsigned int mark,
		 rx_sw_record_fn cb, void *ctx)
{
	if (rx->failed)
		return rx->fail_err;
	if (len && rec_buf(rx))
		return -ENOMEM;
	while (len && rx->stop == RX_SW_GOING) {
		uint32_t want = rx_sw_to_boundary(rx);
		uint32_t n = len < want ? (uint32_t)len : want;

		if (mark != rx->last_mark)
			marks_flush(rx); /* the held run ends here */
		memcpy(rx->rec + rx->have, data, n);
		rx->last_mark = mark;
		rx->have += n;
		data += n;
		len -= n;
		if (!rx->need && rx->have == HDR_LEN) {
			uint32_t body = 0;
			int ret = rx_sw_header_check(rx, rx->rec, &body);

			if (ret)
				return fail(rx, ret);
			rx->need = HDR_LEN + body;
			continue;
		}
		if (rx->need && rx->have == rx->need) {
			int ret = complete_record(rx, cb, ctx);

			if (ret)
				return ret;
		}
	}
	return 0;
}

int rx_sw_input(struct rx_sw *rx, const uint8_t *data, size_t len, unsigned int mark,
		rx_sw_record_fn cb, void *ctx)
{
	int ret;

	if (!rx || (!data && len) || !mark_valid(mark))
		return -EINVAL;
	ret = input(rx, data, len, mark, cb, ctx);
	rec_idle(rx);
	return ret;
}

int rx_sw_pending(struct rx_sw *rx, uint8_t *buf, size_t cap)
{
	uint32_t body_off = rx_sw_body_offset(rx), end;

	if (cap < rx->have)
		return -ENOSPC;
	if (!rx->have)
		return 0;
	marks_flush(rx);
	memcpy(buf, rx->rec, rx->have);
	if (rx->have <= body_off)
		return 0;
	/* the tag is never decrypted (14b): only payload bytes are restored */
	end = rx->need ? rx->need - TAG_LEN : rx->have;
	if (end > rx->have)
		end = rx->have;
	return restore_runs(rx, buf, rx->mark, body_off, end, body_off);
}

static int restore(struct rx_sw *rx, uint8_t *data, size_t len, unsigned int mark)
{
	uint32_t body_off = rx_sw_body_offset(rx);

	if (len && rec_buf(rx))
		return -ENOMEM;
	/* the bytes restored here get no marks written (their array bytes keep what they held,
	 * as before marks were written lazily) */
	marks_flush(rx);
	while (len) {
		uint32_t want = rx_sw_to_boundary(rx);
		uint32_t n = len < want ? (uint32_t)len : want;

		/* header and TLS 1.2 nonce are kept: the nonce names the GCM counters */
		for (uint32_t i = 0; i < n && rx->have + i < body_off; i++)
			rx->rec[rx->have + i] = data[i];
		if (mark != RX_SW_MARK_RECEIVED && rx->need) {
			uint32_t from = rx->have > body_off ? rx->have : body_off;
			uint32_t to = rx->have + n < rx->need - TAG_LEN ? rx->have + n
								     : rx->need - TAG_LEN;
			int e = mark_epoch(rx, mark);

			if (e < 0)
				return e;
			if (from < to) {
				e = reencrypt(rx, (unsigned int)e, data + (from - rx->have),
					      from - body_off, to - from);
				if (e)
					return e;
			}
		}
		rx->have += n;
		rx->mark_have = rx->have;
		data += n;
		len -= n;
		if (!rx->need && rx->have == HDR_LEN) {
			uint32_t body = 0;
			int ret = rx_sw_header_check(rx, rx->rec, &body);

			if (ret)
				return ret;
			rx->need = HDR_LEN + body;
		} else if (rx->need && rx->have == rx->need) {
			rx->seq++;
			rx->index++;
			rx->have = 0;
			rx->mark_have = 0;
			rx->need = 0;
		}
	}
	return 0;
}

int rx_sw_restore(struct rx_sw *rx, uint8_t *data, size_t len, unsigned int mark)
{
	int ret;

	if (!rx || (!data && len) || !mark_valid(mark))
		return -EINVAL;
	ret = restore(rx, data, len, mark);
	rec_idle(rx);
	return ret;
}

bool rx_sw_tls13(const struct rx_sw *rx)
{
	return rx->tls13;
}

int rx_sw_device_record(struct rx_sw *rx, uint32_t pt_len)
{
	if (rx->failed)
		return rx->fail_err;
	if (rx->have || rx->stop != RX_SW_GOING)
		return -EINVAL;
	if (rx->seq == UINT64_MAX) /* as complete_record */
		return fail(rx, -EBADMSG);
	if (pt_len > MAX_INNER - 1)
		return fail(rx, -EMSGSIZE);
	rx->st.records++;
	rx->st.by_device++;
	rx->seq++;
	rx->index++;
	return 0;
}
