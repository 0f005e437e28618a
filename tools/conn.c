/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mlx5tls-query conn [show] [pid PIDS] [laddr ADDR] [raddr ADDR] [addr ADDR] [lport PORTS]
 * [rport PORTS] [port PORTS] [label NAME]: the connections the TLS contexts of the publishing
 * processes belong to, one entry per connection as `ss -tie` shows kTLS sockets - local and
 * peer address, the application's label, then the one-line TLS summary operators know:
 *   tls version 1.3 cipher aes-gcm-256 txconf hw rxconf hw
 * (txconf/rxconf: hw = the NIC does the crypto, sw = the library does it in software, none = no
 * context in that direction). A TX and an RX context with the same connection are one entry.
 * The filters here are shared with `ctx show` (conn_filter_*).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <libutil.h>
#include <stdlib.h>
#include <string.h>

#include "inspect_client.h"
#include "query.h"

/* ---- the connection filters, shared with ctx ---- */

const struct filter_def conn_filter_defs[CONN_F_NR + 1] = {
	[CONN_F_LADDR] = { "laddr", FILTER_ARG, NULL },
	[CONN_F_RADDR] = { "raddr", FILTER_ARG, NULL },
	[CONN_F_ADDR] = { "addr", FILTER_ARG, NULL },
	[CONN_F_LPORT] = { "lport", FILTER_NUMS, NULL },
	[CONN_F_RPORT] = { "rport", FILTER_NUMS, NULL },
	[CONN_F_PORT] = { "port", FILTER_NUMS, NULL },
	[CONN_F_LABEL] = { "label", FILTER_ARG, NULL },
	[CONN_F_NR] = { NULL, 0, NULL },
};

/* An address as given and as a context reports it, compared as addresses ("::ffff:..." and
 * leading zeros of IPv6 do not matter); the text as it is when it is no address. */
static bool addr_equal(const char *a, const char *b)
{
	unsigned char x[16], y[16];

	if (!a || !b)
		return false;
	if (inet_pton(AF_INET, a, x) == 1 && inet_pton(AF_INET, b, y) == 1)
		return memcmp(x, y, 4) == 0;
	if (inet_pton(AF_INET6, a, x) == 1 && inet_pton(AF_INET6, b, y) == 1)
		return memcmp(x, y, 16) == 0;
	return strcmp(a, b) == 0;
}

int conn_filter_check(struct tool *t, const struct filter_val *f)
{
	static const int addrs[] = { CONN_F_LADDR, CONN_F_RADDR, CONN_F_ADDR };
	unsigned char buf[16];

	for (size_t i = 0; i < sizeof(addrs) / sizeof(addrs[0]); i++) {
		const struct filter_val *v = &f[addrs[i]];

		if (v->set && inet_pton(AF_INET, v->arg, buf) != 1 &&
		    inet_pton(AF_INET6, v->arg, buf) != 1) {
			tool_error(t, "%s: '%s' is not an IPv4 or IPv6 address",
				   conn_filter_defs[addrs[i]].name, v->arg);
			return 1;
		}
	}
	for (int i = CONN_F_LPORT; i <= CONN_F_PORT; i++)
		for (unsigned int r = 0; f[i].set && r < f[i].nr; r++)
			if (f[i].hi[r] > 65535) {
				tool_error(t, "%s: %s is not a port", conn_filter_defs[i].name,
					   f[i].arg);
				return 1;
			}
	return 0;
}

bool conn_filter_active(const struct filter_val *f)
{
	for (int i = 0; i < CONN_F_NR; i++)
		if (f[i].set)
			return true;
	return false;
}

bool conn_filter_match(const struct filter_val *f, const struct jv *ctx)
{
	const struct jv *c = jv_get(ctx, "conn");
	const char *local = jv_str(jv_get(c, "local")), *remote = jv_str(jv_get(c, "remote"));
	const char *label = jv_str(jv_get(ctx, "label"));
	uint64_t lport = 0, rport = 0;
	bool have_ports = jv_u64(jv_get(c, "local_port"), &lport) &&
			  jv_u64(jv_get(c, "remote_port"), &rport);

	if (f[CONN_F_LABEL].set && (!label || strcmp(label, f[CONN_F_LABEL].arg) != 0))
		return false;
	if (f[CONN_F_LADDR].set && !addr_equal(local, f[CONN_F_LADDR].arg))
		return false;
	if (f[CONN_F_RADDR].set && !addr_equal(remote, f[CONN_F_RADDR].arg))
		return false;
	if (f[CONN_F_ADDR].set && !addr_equal(local, f[CONN_F_ADDR].arg) &&
	    !addr_equal(remote, f[CONN_F_ADDR].arg))
		return false;
	if ((f[CONN_F_LPORT].set || f[CONN_F_RPORT].set || f[CONN_F_PORT].set) && !have_ports)
		return false;
	if (f[CONN_F_LPORT].set && !filter_match_num(&f[CONN_F_LPORT], lport))
		return false;
	if (f[CONN_F_RPORT].set && !filter_match_num(&f[CONN_F_RPORT], rport))
		return false;
	if (f[CONN_F_PORT].set && !filter_match_num(&f[CONN_F_PORT], lport) &&
	    !filter_match_num(&f[CONN_F_PORT], rport))
		return false;
	return true;
}

/* "198.18.0.1:443", "[2001:2::1]:443" (into buf); "-" while the connection is not known */
static const char *endpoint(const struct jv *c, const char *addr_key, const char *port_key,
			    char *buf, size_t len)
{
	const char *addr = jv_str(jv_get(c, addr_key));
	uint64_t port = 0;
	char clean[64];

	if (!addr || !jv_u64(jv_get(c, port_key), &port))
		return "-";
	ic_clean(addr, clean, sizeof(clean));
	snprintf(buf, len, strchr(clean, ':') ? "[%s]:%llu" : "%s:%llu", clean,
		 (unsigned long long)port);
	return buf;
}

void conn_print_endpoints(const struct jv *ctx)
{
	const struct jv *c = jv_get(ctx, "conn");
	const char *label = jv_str(jv_get(ctx, "label"));

	if (!c || c->type != JV_OBJ) {
		pr_text(" conn -");
	} else {
		char a[80], b[80];

		pr_text(" %s", endpoint(c, "local", "local_port", a, sizeof(a)));
		pr_text(" %s", endpoint(c, "remote", "remote_port", b, sizeof(b)));
	}
	if (label && *label) {
		char buf[64];

		pr_text(" label %s", ic_clean(label, buf, sizeof(buf)));
	}
}

/* ---- conn show ---- */

enum { F_PID = CONN_F_NR, F_NR };

static struct filter_def show_filters[F_NR + 1];

struct conn_row {
	long pid;
	const char *program;
	const struct jv *first;      /* the first context: conn, label, version, cipher */
	const struct jv *ctx[8];     /* its contexts */
	unsigned int nctx;
	const char *txconf, *rxconf; /* "hw", "sw", "none" */
	uint64_t tx_bytes, rx_bytes;
};

static bool same_conn(const struct jv *a, const struct jv *b)
{
	static const char *const keys[] = { "ip_version", "local", "local_port", "remote",
					    "remote_port" };
	const struct jv *ca = jv_get(a, "conn"), *cb = jv_get(b, "conn");

	if (!ca || ca->type != JV_OBJ || !cb || cb->type != JV_OBJ)
		return false; /* unknown connections are never merged */
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		const struct jv *x = jv_get(ca, keys[i]), *y = jv_get(cb, keys[i]);

		if (!x || !y || !x->s || !y->s || strcmp(x->s, y->s) != 0)
			return false;
	}
	return true;
}

static const char *conf_of(const struct jv *ctx)
{
	const char *path = jv_str(jv_get(ctx, "path"));

	return path && strcmp(path, "device") == 0 ? "hw" : "sw";
}

static void add_ctx(struct conn_row *r, const struct jv *ctx)
{
	const char *dir = jv_str(jv_get(ctx, "dir"));
	const struct jv *cnt = jv_get(ctx, "counters");
	uint64_t v = 0;

	if (r->nctx < sizeof(r->ctx) / sizeof(r->ctx[0]))
		r->ctx[r->nctx++] = ctx;
	if (dir && strcmp(dir, "rx") == 0) {
		r->rxconf = conf_of(ctx);
		if (jv_u64(jv_get(cnt, "rx_tls_decrypted_bytes"), &v) ||
		    jv_u64(jv_get(cnt, "bytes"), &v))
			r->rx_bytes += v;
	} else {
		r->txconf = conf_of(ctx);
		if (jv_u64(jv_get(cnt, "tx_tls_encrypted_bytes"), &v))
			r->tx_bytes += v;
		if (jv_u64(jv_get(cnt, "tx_tls_sw_bytes"), &v))
			r->tx_bytes += v;
	}
}

/* 1.2M, 800K: libbsd's humanize_number, as ls -h and df -h print sizes */
static const char *human(uint64_t v, char *buf, size_t len)
{
	if (humanize_number(buf, len < 5 ? len : 5, (int64_t)v, "", HN_AUTOSCALE,
			    HN_DECIMAL | HN_NOSPACE | HN_B) < 0)
		snprintf(buf, len, "%llu", (unsigned long long)v);
	return buf;
}

static void print_row(const struct tool *t, const struct conn_row *r)
{
	const struct jv *c = jv_get(r->first, "conn");
	char buf[64];

	pr_open_object(NULL);
	pr_int("pid", "pid %s", r->pid);
	pr_string("program", " program %s", r->program);
	if (c && c->type == JV_OBJ) {
		char a[80], b[80];

		pr_text(" %s", endpoint(c, "local", "local_port", a, sizeof(a)));
		pr_text(" %s", endpoint(c, "remote", "remote_port", b, sizeof(b)));
		jv_emit("conn", c);
	} else {
		pr_text(" conn -");
		jv_emit("conn", c);
	}
	if (jv_str(jv_get(r->first, "label")) && *jv_str(jv_get(r->first, "label")))
		pr_string("label", " label %s",
			  ic_clean(jv_str(jv_get(r->first, "label")), buf, sizeof(buf)));
	else
		pr_string("label", NULL, "");
	pr_open_object("tls");
	pr_text("\n\t");
	pr_string("version", "tls version %s",
		  jv_str(jv_get(r->first, "tls_version")) ? jv_str(jv_get(r->first, "tls_version"))
							   : "-");
	pr_string("cipher", " cipher %s",
		  jv_str(jv_get(r->first, "cipher")) ? jv_str(jv_get(r->first, "cipher")) : "-");
	pr_string("txconf", " txconf %s", r->txconf);
	pr_string("rxconf", " rxconf %s", r->rxconf);
	pr_close_object();
	if (t->details) {
		pr_text("\n\t");
		pr_uint("tx_bytes", NULL, r->tx_bytes);
		pr_uint("rx_bytes", NULL, r->rx_bytes);
		pr_text("bytes tx %s", human(r->tx_bytes, buf, sizeof(buf)));
		pr_text(" rx %s", human(r->rx_bytes, buf, sizeof(buf)));
	}
	pr_open_array("contexts");
	for (unsigned int i = 0; i < r->nctx; i++) {
		const struct jv *x = r->ctx[i];
		const char *reason = jv_str(jv_get(x, "reason"));

		pr_open_object(NULL);
		pr_text("\n\t");
		ic_text_value("ctx %s", jv_get(x, "id"));
		if (pr_is_json())
			jv_emit("id", jv_get(x, "id"));
		pr_string("dir", " dir %s", jv_str(jv_get(x, "dir")) ? jv_str(jv_get(x, "dir")) : "-");
		pr_string("device", " dev %s",
			  jv_str(jv_get(x, "device")) ? jv_str(jv_get(x, "device")) : "-");
		pr_string("path", " path %s",
			  jv_str(jv_get(x, "path")) ? jv_str(jv_get(x, "path")) : "-");
		if (reason && *reason)
			pr_string("reason", " (%s)", ic_clean(reason, buf, sizeof(buf)));
		pr_close_object();
	}
	pr_close_array();
	pr_close_object();
	pr_nl();
}

static void conn_help(FILE *fp)
{
	fprintf(fp,
		"Usage: mlx5tls-query [-d] [-j [-p]] conn [ show ] [ pid PIDS ] [ dev DEV ]\n"
		"                     [ laddr ADDR ] [ raddr ADDR ] [ addr ADDR ]\n"
		"                     [ lport PORTS ] [ rport PORTS ] [ port PORTS ]\n"
		"                     [ label NAME ]\n"
		"The connections of the TLS contexts of the processes that publish\n"
		"(MLX5TLS_PUBLISH=1), as ss -tie shows kTLS sockets: local and peer address,\n"
		"the application's label and \"tls version V cipher C txconf X rxconf Y\"\n"
		"(hw: the NIC does the crypto, sw: software, none: no context that way).\n"
		"addr and port match either end; PORTS: numbers and ranges, 443,8000-8099;\n"
		"-d adds the bytes each way.\n");
}

static int conn_help_cmd(struct tool *t)
{
	(void)t;
	conn_help(stdout);
	return 0;
}

static int conn_show(struct tool *t)
{
	struct filter_val f[F_NR];
	struct conn_row *rows = NULL;
	size_t nrows = 0, cap = 0;
	struct jv **answers;
	struct ic_set s;
	int ret = 0;

	memcpy(show_filters, conn_filter_defs, sizeof(conn_filter_defs));
	show_filters[F_PID] = (struct filter_def){ "pid", FILTER_NUMS, NULL };
	show_filters[F_NR] = (struct filter_def){ NULL, 0, NULL };
	if (filter_parse(t, show_filters, f, "conn show") || conn_filter_check(t, f) ||
	    ic_open(t, &s, &f[F_PID]))
		return 1;
	answers = calloc(s.n ? s.n : 1, sizeof(*answers));
	if (!answers) {
		ic_close(&s);
		return tool_fail(t, "conn show", -ENOMEM);
	}
	for (size_t i = 0; i < s.n; i++) {
		const struct jv *ctxs;

		if (s.procs[i].error)
			continue;
		answers[i] = ic_ask_all(&s.procs[i], "ctx", "contexts");
		ctxs = jv_get(answers[i], "contexts");
		for (size_t k = 0; ctxs && ctxs->type == JV_ARR && k < ctxs->n; k++) {
			const struct jv *x = ctxs->items[k];
			struct conn_row *r = NULL;

			if (!filter_match_device(t->dev_name, jv_str(jv_get(x, "device"))) ||
			    !conn_filter_match(f, x))
				continue;
			for (size_t j = 0; j < nrows && !r; j++)
				if (rows[j].pid == s.procs[i].pid && same_conn(rows[j].first, x))
					r = &rows[j];
			if (!r) {
				if (nrows == cap) {
					struct conn_row *n = realloc(rows, (cap ? cap * 2 : 16) *
									   sizeof(*rows));

					if (!n) {
						ret = tool_fail(t, "conn show", -ENOMEM);
						goto out;
					}
					rows = n;
					cap = cap ? cap * 2 : 16;
				}
				r = &rows[nrows++];
				memset(r, 0, sizeof(*r));
				r->pid = s.procs[i].pid;
				r->program = ic_program(&s.procs[i]);
				r->first = x;
				r->txconf = "none";
				r->rxconf = "none";
			}
			add_ctx(r, x);
		}
	}
	pr_open_object(NULL);
	pr_uint("schema", NULL, IC_SCHEMA);
	pr_string("socket_dir", NULL, s.dir);
	pr_open_array("connections");
	for (size_t j = 0; j < nrows; j++)
		print_row(t, &rows[j]);
	pr_close_array();
	pr_close_object();
	if (!t->json && nrows == 0)
		pr_text("no TLS connection%s in %zu process%s\n",
			conn_filter_active(f) || t->dev_name ? " matches" : "", s.n,
			s.n == 1 ? "" : "es");
	ret = ic_report_errors(t, &s);
out:
	for (size_t i = 0; i < s.n; i++)
		jv_free(answers[i]);
	free(answers);
	free(rows);
	ic_close(&s);
	return ret;
}

static const struct tool_cmd conn_cmds[] = {
	{ NULL, conn_show },
	{ "show", conn_show },
	{ "list", conn_show },
	{ "help", conn_help_cmd },
	{ NULL, NULL },
};

int cmd_conn(struct tool *t)
{
	return tool_exec_cmd_default(t, conn_cmds);
}
