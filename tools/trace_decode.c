/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * MLX5TLS_TRACE field decoding (see trace_decode.h). Layouts: prm/mlx5_ifc_tls.h, the library's
 * own. Offsets and names cite ../shared/prm/tls-offload-prm.md sections.
 */
#include "trace_decode.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "prm/mlx5_ifc_tls.h"
#include "print.h"

/*
 * Field printers. In text, a mailbox's label ("in:", "out:") is written before its first field
 * only, so a mailbox without decoded fields leaves no empty line.
 */
static const char *pending_label;

static void flush_label(void)
{
	if (pending_label)
		pr_text("%s", pending_label);
	pending_label = NULL;
}

static void f_uint(const char *key, const char *fmt, uint64_t v)
{
	if (fmt)
		flush_label();
	pr_uint(key, fmt, v);
}

static void f_hex(const char *key, const char *fmt, uint64_t v)
{
	if (fmt)
		flush_label();
	pr_hex(key, fmt, v);
}

static void f_str(const char *key, const char *fmt, const char *v)
{
	if (fmt)
		flush_label();
	pr_string(key, fmt, v);
}

static void f_text(const char *text)
{
	flush_label();
	pr_text("%s", text);
}

/* " key value" in text, "key":value in JSON; key must be a string literal. */
#define P_UINT(key, val) f_uint(key, " " key " %s", (uint64_t)(val))
#define P_HEX(key, val) f_hex(key, " " key " %s", (uint64_t)(val))

/* ---- mailboxes ---- */

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int trace_mbox_parse(const char *hex, struct trace_mbox *m)
{
	size_t n = strlen(hex), padded;

	memset(m, 0, sizeof(*m));
	if (n % 2)
		return -EINVAL;
	m->len = n / 2;
	padded = (m->len + 3) & ~(size_t)3; /* DEVX_GET reads whole big-endian dwords */
	m->b = calloc(1, padded ? padded : 4);
	m->masked = calloc(1, padded ? padded : 4);
	if (!m->b || !m->masked) {
		trace_mbox_free(m);
		return -ENOMEM;
	}
	for (size_t i = 0; i < m->len; i++) {
		const char *h = hex + 2 * i;
		int hi = hexval(h[0]), lo = hexval(h[1]);

		if (h[0] == '*' && h[1] == '*') {
			m->masked[i] = 1;
			continue;
		}
		if (hi < 0 || lo < 0) {
			trace_mbox_free(m);
			return -EINVAL;
		}
		m->b[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}

void trace_mbox_free(struct trace_mbox *m)
{
	free(m->b);
	free(m->masked);
	memset(m, 0, sizeof(*m));
}

/* ---- names ---- */

/* Opcodes of fact sheet 2.3: the library's and those a trace of a TLS user may carry. */
static const struct {
	uint16_t opcode;
	const char *name;
} opcodes[] = {
	{ 0x100, "QUERY_HCA_CAP" },
	{ 0x109, "SET_HCA_CAP" },
	{ 0x200, "CREATE_MKEY" },
	{ 0x202, "DESTROY_MKEY" },
	{ 0x800, "ALLOC_PD" },
	{ 0x801, "DEALLOC_PD" },
	{ 0x816, "ALLOC_TRANSPORT_DOMAIN" },
	{ 0x817, "DEALLOC_TRANSPORT_DOMAIN" },
	{ 0x900, "CREATE_TIR" },
	{ 0x901, "MODIFY_TIR" },
	{ 0x902, "DESTROY_TIR" },
	{ 0x903, "QUERY_TIR" },
	{ 0x904, "CREATE_SQ" },
	{ 0x905, "MODIFY_SQ" },
	{ 0x906, "DESTROY_SQ" },
	{ 0x907, "QUERY_SQ" },
	{ 0x912, "CREATE_TIS" },
	{ 0x913, "MODIFY_TIS" },
	{ 0x914, "DESTROY_TIS" },
	{ 0x915, "QUERY_TIS" },
	{ 0xa00, "CREATE_GENERAL_OBJECT" },
	{ 0xa01, "MODIFY_GENERAL_OBJECT" },
	{ 0xa02, "QUERY_GENERAL_OBJECT" },
	{ 0xa03, "DESTROY_GENERAL_OBJECT" },
	{ 0xb12, "SYNC_CRYPTO" },
};

const char *trace_opcode_name(uint16_t opcode)
{
	for (size_t i = 0; i < sizeof(opcodes) / sizeof(opcodes[0]); i++)
		if (opcodes[i].opcode == opcode)
			return opcodes[i].name;
	return NULL;
}

bool trace_opcode_lookup(const char *name, uint16_t *opcode)
{
	unsigned long v;
	char *end = NULL;

	for (size_t i = 0; i < sizeof(opcodes) / sizeof(opcodes[0]); i++) {
		if (strcasecmp(opcodes[i].name, name) == 0) {
			*opcode = opcodes[i].opcode;
			return true;
		}
	}
	if (*name < '0' || *name > '9')
		return false;
	errno = 0;
	v = strtoul(name, &end, 0);
	if (errno || *end || v > 0xffff)
		return false;
	*opcode = (uint16_t)v;
	return true;
}

const char *trace_obj_type_name(uint16_t obj_type)
{
	/* fact sheet 3.3 */
	switch (obj_type) {
	case MLX5_GENERAL_OBJECT_TYPES_ENCRYPTION_KEY: return "ENCRYPTION_KEY";
	case 0x13: return "IPSEC";
	case 0x27: return "MACSEC";
	case 0x47: return "INT_KEK";
	default: return NULL;
	}
}

const char *trace_cap_type_name(unsigned int cap_type)
{
	/* fact sheet 5.1 (the kernel's enum mlx5_cap_type) */
	switch (cap_type) {
	case 0x0: return "GENERAL";
	case 0x1: return "ETHERNET_OFFLOADS";
	case 0x2: return "ODP";
	case 0x3: return "ATOMIC";
	case 0x4: return "ROCE";
	case 0x5: return "IPOIB_OFFLOADS";
	case 0x6: return "IPOIB_ENHANCED";
	case 0x7: return "FLOW_TABLE";
	case 0x8: return "ESWITCH_FLOW_TABLE";
	case 0x9: return "ESWITCH";
	case 0xc: return "QOS";
	case 0xd: return "DEBUG";
	case 0xf: return "DEV_MEM";
	case 0x11: return "TLS";
	case 0x13: return "VDPA_EMULATION";
	case 0x14: return "DEV_EVENT";
	case 0x15: return "IPSEC";
	case 0x1a: return "CRYPTO";
	case 0x1d: return "SHAMPO";
	case 0x1f: return "MACSEC";
	case 0x20: return "GENERAL_2";
	case 0x25: return "PORT_SELECTION";
	default: return NULL;
	}
}

void trace_print_op_mod(const struct trace_cmd *c)
{
	if (c->general_obj) {
		const char *name = trace_obj_type_name(c->obj_type);

		pr_hex("obj_type", " obj_type %s", c->obj_type);
		pr_string("obj_type_name", name ? " (%s)" : NULL, name);
		return;
	}
	pr_hex("op_mod", " op_mod %s", c->op_mod);
	if (c->opcode == MLX5_CMD_OP_QUERY_HCA_CAP) {
		/* op_mod = cap_type << 1 | current (fact sheet 5.1) */
		const char *name = trace_cap_type_name(c->op_mod >> 1);
		char buf[24];

		if (!name) {
			snprintf(buf, sizeof(buf), "0x%x", c->op_mod >> 1);
			name = buf;
		}
		pr_string("cap_type", " (%s", name);
		pr_string("cap_mode", ", %s)", c->op_mod & 1 ? "current" : "max");
	}
}

/* ---- field printers ---- */

static bool fits(const struct trace_mbox *m, size_t need)
{
	if (m->len >= need)
		return true;
	f_uint("short_mailbox", " (short mailbox: %s bytes)", m->len);
	return false;
}

static void print_tisc(const void *tisc, bool details)
{
	P_UINT("tls_en", DEVX_GET(tisc, tisc, tls_en));
	P_UINT("pd", DEVX_GET(tisc, tisc, pd));
	P_UINT("transport_domain", DEVX_GET(tisc, tisc, transport_domain));
	P_UINT("prio", DEVX_GET(tisc, tisc, prio));
	if (details) {
		P_UINT("strict_lag_tx_port_affinity",
		       DEVX_GET(tisc, tisc, strict_lag_tx_port_affinity));
		P_UINT("lag_tx_port_affinity", DEVX_GET(tisc, tisc, lag_tx_port_affinity));
		P_UINT("underlay_qpn", DEVX_GET(tisc, tisc, underlay_qpn));
	}
}

static void print_tirc(const void *tirc, bool details)
{
	uint32_t disp = DEVX_GET(tirc, tirc, disp_type);

	P_UINT("tls_en", DEVX_GET(tirc, tirc, tls_en));
	P_UINT("transport_domain", DEVX_GET(tirc, tirc, transport_domain));
	f_str("disp_type", " disp_type %s", disp == MLX5_TIRC_DISP_TYPE_DIRECT ? "direct" :
	      disp == MLX5_TIRC_DISP_TYPE_INDIRECT ? "indirect" : "reserved");
	if (disp == MLX5_TIRC_DISP_TYPE_DIRECT)
		P_UINT("inline_rqn", DEVX_GET(tirc, tirc, inline_rqn));
	else
		P_UINT("indirect_table", DEVX_GET(tirc, tirc, indirect_table));
	if (details) {
		P_UINT("rx_hash_fn", DEVX_GET(tirc, tirc, rx_hash_fn));
		P_UINT("self_lb_block", DEVX_GET(tirc, tirc, self_lb_block));
		P_UINT("tunneled_offload_en", DEVX_GET(tirc, tirc, tunneled_offload_en));
		P_UINT("packet_merge_mask", DEVX_GET(tirc, tirc, packet_merge_mask));
	}
}

static void print_hca_cap(const struct trace_cmd *c, bool details)
{
	const void *cap;

	if (!fits(&c->out, DEVX_ST_SZ_BYTES(query_hca_cap_out)))
		return;
	cap = DEVX_ADDR_OF(query_hca_cap_out, c->out.b, capability);
	switch (c->op_mod >> 1) {
	case MLX5_CAP_TYPE_GENERAL: {
		/* ENCRYPTION_KEY is bit 12 of the 64-bit general_obj_types (fact sheet 3.3) */
		uint64_t types = DEVX_GET64(cmd_hca_cap, cap, general_obj_types);

		P_UINT("tls_tx", DEVX_GET(cmd_hca_cap, cap, tls_tx));
		P_UINT("tls_rx", DEVX_GET(cmd_hca_cap, cap, tls_rx));
		P_UINT("crypto", DEVX_GET(cmd_hca_cap, cap, crypto));
		P_UINT("log_max_dek", DEVX_GET(cmd_hca_cap, cap, log_max_dek));
		P_UINT("encryption_key_obj",
		       (types >> MLX5_GENERAL_OBJECT_TYPES_ENCRYPTION_KEY) & 1);
		P_UINT("log_max_tis", DEVX_GET(cmd_hca_cap, cap, log_max_tis));
		P_UINT("log_max_tir", DEVX_GET(cmd_hca_cap, cap, log_max_tir));
		P_UINT("log_max_pd", DEVX_GET(cmd_hca_cap, cap, log_max_pd));
		P_UINT("log_max_transport_domain",
		       DEVX_GET(cmd_hca_cap, cap, log_max_transport_domain));
		if (details) {
			P_HEX("general_obj_types", types);
			P_UINT("ipsec_offload", DEVX_GET(cmd_hca_cap, cap, ipsec_offload));
		}
		break;
	}
	case MLX5_CAP_TYPE_TLS:
		P_UINT("tls_1_2_aes_gcm_128", DEVX_GET(tls_cap, cap, tls_1_2_aes_gcm_128));
		P_UINT("tls_1_3_aes_gcm_128", DEVX_GET(tls_cap, cap, tls_1_3_aes_gcm_128));
		P_UINT("tls_1_2_aes_gcm_256", DEVX_GET(tls_cap, cap, tls_1_2_aes_gcm_256));
		P_UINT("tls_1_3_aes_gcm_256", DEVX_GET(tls_cap, cap, tls_1_3_aes_gcm_256));
		break;
	case MLX5_CAP_TYPE_CRYPTO:
		P_UINT("synchronize_dek", DEVX_GET(crypto_cap, cap, synchronize_dek));
		P_UINT("log_dek_max_alloc", DEVX_GET(crypto_cap, cap, log_dek_max_alloc));
		P_UINT("log_max_num_deks", DEVX_GET(crypto_cap, cap, log_max_num_deks));
		if (details) {
			P_UINT("int_kek_manual", DEVX_GET(crypto_cap, cap, int_kek_manual));
			P_UINT("int_kek_auto", DEVX_GET(crypto_cap, cap, int_kek_auto));
			P_UINT("log_dek_granularity",
			       DEVX_GET(crypto_cap, cap, log_dek_granularity));
			P_UINT("log_max_num_int_kek",
			       DEVX_GET(crypto_cap, cap, log_max_num_int_kek));
		}
		break;
	default:
		f_text(" (capability page not decoded)");
		break;
	}
}

static const char *key_purpose_name(uint32_t p)
{
	/* fact sheet 3.4 */
	switch (p) {
	case MLX5_ENCRYPTION_KEY_OBJ_KEY_PURPOSE_TLS: return "tls";
	case 0x2: return "ipsec";
	case 0x3: return "aes_xts";
	case 0x4: return "macsec";
	case 0x5: return "gcm";
	case 0x6: return "psp";
	default: return "reserved";
	}
}

/*
 * The key area of an encryption_key_obj at byte `obj` of m: the key array (object bytes 64..191,
 * fact sheet 3.4; a 256-bit key fills 64..95, a 128-bit one 80..95). Reported as "**" with the
 * number of masked bytes; never as values. Returns true if non-zero bytes there were not masked.
 */
static bool print_key_area(const struct trace_mbox *m, size_t obj)
{
	size_t from = obj + 64, to = obj + 192, masked = 0, clear = 0;

	if (to > m->len)
		to = m->len;
	for (size_t i = from; i < to; i++) {
		masked += m->masked[i];
		clear += !m->masked[i] && m->b[i] != 0;
	}
	if (clear) {
		f_str("key", " key %s", "NOT-MASKED");
		f_uint("key_unmasked_bytes", " (%s key bytes in the trace in clear; not shown)",
			clear);
	} else if (masked) {
		f_str("key", " key %s", "**");
		f_uint("key_masked_bytes", " (%s bytes masked)", masked);
	} else {
		f_str("key", NULL, NULL); /* a bulk create carries no key */
		f_text(" key none");
	}
	return clear > 0;
}

static void print_dek_obj(const void *o, bool details)
{
	uint32_t size = DEVX_GET(encryption_key_obj, o, key_size);
	uint32_t purpose = DEVX_GET(encryption_key_obj, o, key_purpose);

	f_uint("key_size", NULL, size);
	f_str("key_bits", " key_size %s", size == MLX5_ENCRYPTION_KEY_OBJ_KEY_SIZE_128 ? "128" :
		  size == MLX5_ENCRYPTION_KEY_OBJ_KEY_SIZE_256 ? "256" : "reserved");
	f_uint("key_purpose", NULL, purpose);
	f_str("key_purpose_name", " key_purpose %s", key_purpose_name(purpose));
	P_UINT("pd", DEVX_GET(encryption_key_obj, o, pd));
	P_HEX("opaque", DEVX_GET64(encryption_key_obj, o, opaque));
	if (details) {
		P_UINT("sw_wrapped", DEVX_GET(encryption_key_obj, o, sw_wrapped));
		P_UINT("has_keytag", DEVX_GET(encryption_key_obj, o, has_keytag));
	}
}

static const char *dek_state_name(uint32_t state)
{
	switch (state) {
	case MLX5_ENCRYPTION_KEY_OBJ_STATE_READY: return "ready";
	case MLX5_ENCRYPTION_KEY_OBJ_STATE_ERROR: return "error";
	default: return "unknown";
	}
}

/* CREATE/MODIFY/QUERY/DESTROY_GENERAL_OBJECT (fact sheet 3.1, 3.2, 3.5). */
static bool print_general_obj_in(const struct trace_cmd *c, bool details)
{
	const void *hdr = c->in.b;
	bool dek = c->obj_type == MLX5_GENERAL_OBJECT_TYPES_ENCRYPTION_KEY;
	bool unmasked = false;

	if (!fits(&c->in, DEVX_ST_SZ_BYTES(general_obj_in_cmd_hdr)))
		return false;
	if (c->opcode != MLX5_CMD_OP_CREATE_GENERAL_OBJECT)
		P_UINT("obj_id", DEVX_GET(general_obj_in_cmd_hdr, hdr, obj_id));
	if (c->opcode == MLX5_CMD_OP_CREATE_GENERAL_OBJECT) {
		uint32_t range = DEVX_GET(general_obj_in_cmd_hdr, hdr,
					  op_param.create.log_obj_range);

		P_UINT("log_obj_range", range);
		if (range)
			f_uint("bulk", " (bulk of %s)", 1ull << range);
	} else if (c->opcode != MLX5_CMD_OP_DESTROY_GENERAL_OBJECT) {
		P_UINT("obj_offset", DEVX_GET(general_obj_in_cmd_hdr, hdr,
					      op_param.query.obj_offset));
	}
	if (!dek || (c->opcode != MLX5_CMD_OP_CREATE_GENERAL_OBJECT &&
		     c->opcode != MLX5_CMD_OP_MODIFY_GENERAL_OBJECT))
		return false;
	/* the object's head (up to opaque) is the same in the 256- and 512-byte layouts */
	if (!fits(&c->in, 16 + 64))
		return false;
	{
		const void *o = DEVX_ADDR_OF(create_encryption_key_in, c->in.b, obj);

		if (c->opcode == MLX5_CMD_OP_MODIFY_GENERAL_OBJECT || details)
			P_HEX("modify_field_select",
			      DEVX_GET64(encryption_key_obj, o, modify_field_select));
		print_dek_obj(o, details);
	}
	unmasked = print_key_area(&c->in, 16);
	return unmasked;
}

static bool print_general_obj_out(const struct trace_cmd *c, bool details)
{
	bool dek = c->obj_type == MLX5_GENERAL_OBJECT_TYPES_ENCRYPTION_KEY;

	if (c->opcode == MLX5_CMD_OP_DESTROY_GENERAL_OBJECT ||
	    !fits(&c->out, DEVX_ST_SZ_BYTES(general_obj_out_cmd_hdr)))
		return false;
	if (c->opcode == MLX5_CMD_OP_CREATE_GENERAL_OBJECT) {
		P_UINT("obj_id", DEVX_GET(general_obj_out_cmd_hdr, c->out.b, obj_id));
		return false;
	}
	if (c->opcode != MLX5_CMD_OP_QUERY_GENERAL_OBJECT || !dek || !fits(&c->out, 16 + 64))
		return false;
	{
		const void *o = DEVX_ADDR_OF(query_encryption_key_out, c->out.b, obj);
		uint32_t state = DEVX_GET(encryption_key_obj, o, state);

		f_uint("state", NULL, state);
		f_str("state_name", " state %s", dek_state_name(state));
		print_dek_obj(o, details);
	}
	return print_key_area(&c->out, 16);
}

static void print_sync_crypto(const struct trace_cmd *c)
{
	uint32_t type;

	if (!fits(&c->in, DEVX_ST_SZ_BYTES(sync_crypto_in)))
		return;
	/* a bit mask in the kernel's reading: BIT(0) all, BIT(key_purpose) (fact sheet 3.6) */
	type = DEVX_GET(sync_crypto_in, c->in.b, crypto_type);
	P_HEX("crypto_type", type);
	f_str("crypto_type_name", " (%s)",
		  type == MLX5_SYNC_CRYPTO_TYPE_ALL ? "all" :
		  type == MLX5_SYNC_CRYPTO_TYPE_TLS ? "tls" : "other");
}

/* The 24-bit object number at bit 0x48 of ALLOC_* outputs and DEALLOC/DESTROY/QUERY inputs. */
static void print_obj_num(const struct trace_mbox *m, const char *key)
{
	char fmt[48];

	if (!fits(m, DEVX_ST_SZ_BYTES(obj_num_in)))
		return;
	snprintf(fmt, sizeof(fmt), " %s %%s", key);
	f_uint(key, fmt, DEVX_GET(obj_num_in, m->b, obj_num));
}

static bool print_in(const struct trace_cmd *c, bool details)
{
	switch (c->opcode) {
	case MLX5_CMD_OP_QUERY_HCA_CAP:
		if (details && fits(&c->in, DEVX_ST_SZ_BYTES(query_hca_cap_in))) {
			P_UINT("other_function",
			       DEVX_GET(query_hca_cap_in, c->in.b, other_function));
			P_UINT("function_id", DEVX_GET(query_hca_cap_in, c->in.b, function_id));
		}
		return false;
	case MLX5_CMD_OP_DEALLOC_PD:
		print_obj_num(&c->in, "pd");
		return false;
	case MLX5_CMD_OP_DEALLOC_TRANSPORT_DOMAIN:
		print_obj_num(&c->in, "transport_domain");
		return false;
	case MLX5_CMD_OP_CREATE_TIS:
		if (fits(&c->in, DEVX_ST_SZ_BYTES(create_tis_in)))
			print_tisc(DEVX_ADDR_OF(create_tis_in, c->in.b, ctx), details);
		return false;
	case MLX5_CMD_OP_MODIFY_TIS:
		if (fits(&c->in, DEVX_ST_SZ_BYTES(modify_tis_in))) {
			const void *in = c->in.b;

			P_UINT("tisn", DEVX_GET(modify_tis_in, in, tisn));
			P_UINT("bitmask_prio", DEVX_GET(modify_tis_in, in, bitmask.prio));
			P_UINT("bitmask_lag_tx_port_affinity",
			       DEVX_GET(modify_tis_in, in, bitmask.lag_tx_port_affinity));
			print_tisc(DEVX_ADDR_OF(modify_tis_in, in, ctx), details);
		}
		return false;
	case MLX5_CMD_OP_DESTROY_TIS:
	case MLX5_CMD_OP_QUERY_TIS:
		print_obj_num(&c->in, "tisn");
		return false;
	case MLX5_CMD_OP_CREATE_TIR:
		if (fits(&c->in, DEVX_ST_SZ_BYTES(create_tir_in)))
			print_tirc(DEVX_ADDR_OF(create_tir_in, c->in.b, ctx), details);
		return false;
	case MLX5_CMD_OP_MODIFY_TIR:
		if (fits(&c->in, DEVX_ST_SZ_BYTES(modify_tir_in))) {
			P_UINT("tirn", DEVX_GET(modify_tir_in, c->in.b, tirn));
			print_tirc(DEVX_ADDR_OF(modify_tir_in, c->in.b, ctx), details);
		}
		return false;
	case MLX5_CMD_OP_DESTROY_TIR:
	case MLX5_CMD_OP_QUERY_TIR:
		print_obj_num(&c->in, "tirn");
		return false;
	case MLX5_CMD_OP_CREATE_GENERAL_OBJECT:
	case MLX5_CMD_OP_MODIFY_GENERAL_OBJECT:
	case MLX5_CMD_OP_QUERY_GENERAL_OBJECT:
	case MLX5_CMD_OP_DESTROY_GENERAL_OBJECT:
		return print_general_obj_in(c, details);
	case MLX5_CMD_OP_SYNC_CRYPTO:
		print_sync_crypto(c);
		return false;
	default:
		return false;
	}
}

static bool print_out(const struct trace_cmd *c, bool details)
{
	switch (c->opcode) {
	case MLX5_CMD_OP_QUERY_HCA_CAP:
		print_hca_cap(c, details);
		return false;
	case MLX5_CMD_OP_ALLOC_PD:
		print_obj_num(&c->out, "pd");
		return false;
	case MLX5_CMD_OP_ALLOC_TRANSPORT_DOMAIN:
		print_obj_num(&c->out, "transport_domain");
		return false;
	case MLX5_CMD_OP_CREATE_TIS:
		print_obj_num(&c->out, "tisn");
		return false;
	case MLX5_CMD_OP_QUERY_TIS:
		if (fits(&c->out, DEVX_ST_SZ_BYTES(query_tis_out)))
			print_tisc(DEVX_ADDR_OF(query_tis_out, c->out.b, tis_context), details);
		return false;
	case MLX5_CMD_OP_CREATE_TIR:
		if (fits(&c->out, DEVX_ST_SZ_BYTES(create_tir_out)))
			f_uint("tirn", " tirn %s", DEVX_GET(create_tir_out, c->out.b, tirn));
		return false;
	case MLX5_CMD_OP_QUERY_TIR:
		if (fits(&c->out, DEVX_ST_SZ_BYTES(query_tir_out)))
			print_tirc(DEVX_ADDR_OF(query_tir_out, c->out.b, tir_context), details);
		return false;
	case MLX5_CMD_OP_CREATE_GENERAL_OBJECT:
	case MLX5_CMD_OP_MODIFY_GENERAL_OBJECT:
	case MLX5_CMD_OP_QUERY_GENERAL_OBJECT:
	case MLX5_CMD_OP_DESTROY_GENERAL_OBJECT:
		return print_general_obj_out(c, details);
	default:
		return false;
	}
}

bool trace_print_cmd_fields(const struct trace_cmd *c, bool details)
{
	bool unmasked;

	pending_label = "\n    in:";
	pr_open_object("in");
	f_uint("len", details ? " len %s" : NULL, c->in.len);
	unmasked = print_in(c, details);
	pr_close_object();
	pending_label = "\n    out:";
	pr_open_object("out");
	f_uint("len", details ? " len %s" : NULL, c->out.len);
	/* a failed command's output is only status and syndrome */
	if (c->status == MLX5_CMD_STAT_OK)
		unmasked |= print_out(c, details);
	pr_close_object();
	pending_label = NULL;
	return unmasked;
}

/* ---- WQE parameters (record kind "wqe", future) ---- */

static const char *tracker_state_name(uint32_t s)
{
	switch (s) {
	case MLX5_TLS_PROGRESS_PARAMS_RECORD_TRACKER_STATE_START: return "start";
	case MLX5_TLS_PROGRESS_PARAMS_RECORD_TRACKER_STATE_TRACKING: return "tracking";
	case MLX5_TLS_PROGRESS_PARAMS_RECORD_TRACKER_STATE_SEARCHING: return "searching";
	default: return "reserved";
	}
}

static const char *auth_state_name(uint32_t s)
{
	switch (s) {
	case MLX5_TLS_PROGRESS_PARAMS_AUTH_STATE_NO_OFFLOAD: return "no_offload";
	case MLX5_TLS_PROGRESS_PARAMS_AUTH_STATE_OFFLOAD: return "offload";
	case MLX5_TLS_PROGRESS_PARAMS_AUTH_STATE_AUTHENTICATION: return "authentication";
	default: return "reserved";
	}
}

bool trace_print_wqe_params(const char *what, const struct trace_mbox *d)
{
	pending_label = NULL;
	if (strcmp(what, "static_params") == 0) {
		/* fact sheet 6; the IVs are derived from the key schedule: not shown */
		uint32_t v;

		if (!fits(d, DEVX_ST_SZ_BYTES(tls_static_params)))
			return true;
		v = DEVX_GET(tls_static_params, d->b, tls_version);
		f_uint("tls_version", NULL, v);
		f_str("tls_version_name", " tls_version %s",
			  v == MLX5_STATIC_PARAMS_TLS_VERSION_1_2 ? "1.2" :
			  v == MLX5_STATIC_PARAMS_TLS_VERSION_1_3 ? "1.3" : "reserved");
		P_UINT("encryption_standard",
		       DEVX_GET(tls_static_params, d->b, encryption_standard));
		P_UINT("initial_record_number",
		       DEVX_GET64(tls_static_params, d->b, initial_record_number));
		P_UINT("resync_tcp_sn", DEVX_GET(tls_static_params, d->b, resync_tcp_sn));
		P_UINT("dek_index", DEVX_GET(tls_static_params, d->b, dek_index));
		f_str("iv", " iv %s", "**");
		return true;
	}
	if (strcmp(what, "progress_params") == 0) {
		/* fact sheet 7 */
		uint32_t ts, as;

		if (!fits(d, DEVX_ST_SZ_BYTES(tls_progress_params)))
			return true;
		ts = DEVX_GET(tls_progress_params, d->b, record_tracker_state);
		as = DEVX_GET(tls_progress_params, d->b, auth_state);
		P_UINT("next_record_tcp_sn",
		       DEVX_GET(tls_progress_params, d->b, next_record_tcp_sn));
		P_UINT("hw_resync_tcp_sn", DEVX_GET(tls_progress_params, d->b, hw_resync_tcp_sn));
		f_uint("record_tracker_state", NULL, ts);
		f_str("record_tracker_state_name", " record_tracker_state %s",
			  tracker_state_name(ts));
		f_uint("auth_state", NULL, as);
		f_str("auth_state_name", " auth_state %s", auth_state_name(as));
		P_UINT("hw_offset_record_number",
		       DEVX_GET(tls_progress_params, d->b, hw_offset_record_number));
		return true;
	}
	return false;
}
