/* SPDX-License-Identifier: BSD-3-Clause */
/* Shared by mlx5tls-query and mlx5tls-bench: dispatch, device choice, errors, suites. */
#include "tool.h"

#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#ifndef MLX5TLS_VERSION
#define MLX5TLS_VERSION "unknown"
#endif

/* ---- errors as text or JSON ---- */

/* -j: every message on stderr is a JSON object on its own line (errors, the library's warnings). */
static bool json_errors;

/* s as a JSON string, quotes included (quote, backslash and control characters escaped). */
static void json_str(FILE *fp, const char *s)
{
	fputc('"', fp);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			fprintf(fp, "\\%c", c);
		else if (c < 0x20 || c == 0x7f)
			fprintf(fp, "\\u%04x", c);
		else
			fputc(c, fp);
	}
	fputc('"', fp);
}

static void tool_vmessage(const struct tool *t, const char *kind, const char *fmt, va_list ap)
{
	char msg[1024];
	size_t len;

	vsnprintf(msg, sizeof(msg), fmt, ap);
	len = strlen(msg);
	while (len > 0 && msg[len - 1] == '\n')
		msg[--len] = '\0';
	if (t->json) {
		fprintf(stderr, "{\"%s\":{\"program\":", kind);
		json_str(stderr, t->prog);
		fputs(",\"message\":", stderr);
		json_str(stderr, msg);
		fputs("}}\n", stderr);
		return;
	}
	fprintf(stderr, "%s: %s\n", t->prog, msg);
}

void tool_error(const struct tool *t, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	tool_vmessage(t, "error", fmt, ap);
	va_end(ap);
}

void tool_notice(const struct tool *t, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	tool_vmessage(t, "notice", fmt, ap);
	va_end(ap);
}

void tool_usage_error(const struct tool *t)
{
	if (!t->json && t->usage)
		t->usage(stderr);
}

/* ---- global options ---- */

static void print_version(const struct tool *t)
{
	/* the tool's version and the library's it runs with (they differ after a library upgrade) */
	printf("%s %s (libmlx5tls %s)\n", t->prog, MLX5TLS_VERSION,
	       mlx5tls_version(NULL, NULL, NULL));
}

int tool_parse_options(struct tool *t, int argc, char **argv, bool rdma_style)
{
	/* mlx5tls-query, as iproute2 rdma: -d details, the device an argument (`dev NAME`) */
	static const struct option query_opts[] = {
		{ "details", no_argument, NULL, 'd' },
		{ "json", no_argument, NULL, 'j' },
		{ "pretty", no_argument, NULL, 'p' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ "device", required_argument, NULL, 'D' }, /* deprecated: `dev NAME` */
		{ NULL, 0, NULL, 0 },
	};
	/* mlx5tls-bench: -d DEV */
	static const struct option bench_opts[] = {
		{ "device", required_argument, NULL, 'D' },
		{ "json", no_argument, NULL, 'j' },
		{ "pretty", no_argument, NULL, 'p' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int opt;

	while ((opt = getopt_long(argc, argv, rdma_style ? "+djpVh" : "+d:jpVh",
				  rdma_style ? query_opts : bench_opts, NULL)) != -1) {
		switch (opt) {
		case 'd':
			if (rdma_style)
				t->details = true;
			else
				t->dev_name = optarg;
			break;
		case 'D':
			if (rdma_style)
				t->deprecated_device = true;
			t->dev_name = optarg;
			break;
		case 'j':
			t->json = true;
			break;
		case 'p':
			t->pretty = true;
			break;
		case 'V':
			print_version(t);
			return EXIT_SUCCESS;
		case 'h':
			t->usage(stdout);
			return EXIT_SUCCESS;
		default:
			t->usage(stderr);
			return EXIT_FAILURE;
		}
	}
	json_errors = t->json;
	t->argc = argc - optind;
	t->argv = argv + optind;
	if (t->deprecated_device)
		tool_error(t, "warning: --device is deprecated; name the device after the object: "
			   "%s OBJECT ... dev %s", t->prog, t->dev_name);
	return TOOL_CONTINUE;
}

int tool_take_device(struct tool *t)
{
	/* `dev NAME` after the object word (argv[0]), anywhere among its arguments */
	for (int i = 1; i < t->argc; i++) {
		if (strcmp(t->argv[i], "dev") != 0)
			continue;
		if (i + 1 >= t->argc) {
			tool_error(t, "dev needs a device name (mlx5_N, sim, sim:PROFILE)");
			return 1;
		}
		if (t->dev_name && !t->deprecated_device) {
			tool_error(t, "dev given twice ('%s', '%s')", t->dev_name, t->argv[i + 1]);
			return 1;
		}
		t->dev_name = t->argv[i + 1];
		t->deprecated_device = false;
		memmove(&t->argv[i], &t->argv[i + 2], (size_t)(t->argc - i - 2) * sizeof(*t->argv));
		t->argc -= 2;
		i--;
	}
	return 0;
}

int tool_help(struct tool *t)
{
	t->usage(stdout);
	return 0;
}

int tool_usage_fail(struct tool *t)
{
	if (t->json)
		tool_error(t, "no object given (%s help lists them)", t->prog);
	else
		t->usage(stderr);
	return 1;
}

/* ---- word dispatch (iproute2 rdma: rd_exec_cmd, but an unknown word fails) ---- */

const char *tool_word(const struct tool *t)
{
	return t->argc > 0 ? t->argv[0] : NULL;
}

void tool_next(struct tool *t)
{
	if (t->argc > 0) {
		t->argc--;
		t->argv++;
	}
}

int tool_no_more_args(struct tool *t)
{
	if (t->argc == 0)
		return 0;
	tool_error(t, "unexpected argument '%s'", t->argv[0]);
	tool_usage_error(t);
	return 1;
}

static bool word_matches(const char *word, const char *name)
{
	size_t len = strlen(word);

	return len > 0 && len <= strlen(name) && memcmp(name, word, len) == 0;
}

static const struct tool_cmd *find_cmd(const struct tool_cmd *cmds, const char *word)
{
	for (const struct tool_cmd *c = cmds; c->func; c++)
		if (c->name && word_matches(word, c->name))
			return c;
	return NULL;
}

int tool_exec_cmd(struct tool *t, const struct tool_cmd *cmds, const char *what)
{
	const char *word = tool_word(t);
	const struct tool_cmd *c;

	if (!word)
		return cmds[0].func(t);
	c = find_cmd(cmds, word);
	if (c) {
		tool_next(t);
		return c->func(t);
	}
	tool_error(t, "unknown %s '%s'", what, word);
	tool_usage_error(t);
	return 1;
}

int tool_exec_cmd_default(struct tool *t, const struct tool_cmd *cmds)
{
	const char *word = tool_word(t);
	const struct tool_cmd *c = word ? find_cmd(cmds, word) : NULL;

	if (!c)
		return cmds[0].func(t); /* the words are the default command's arguments */
	tool_next(t);
	return c->func(t);
}

/* ---- errors ---- */

void tool_err_capture(struct tool_err *e, int err)
{
	if (err == 0)
		err = errno ? errno : EIO;
	if (err > 0)
		err = -err;
	memset(e, 0, sizeof(*e));
	e->err = err;
	if (err == -EREMOTEIO && mlx5tls_last_fw_error(&e->fw) == 0)
		e->have_fw = true;
}

static const char *fw_opcode_name(const struct mlx5tls_fw_error *fw)
{
	if (fw->opcode_name)
		return fw->opcode_name;
	return mlx5tls_cmd_opcode_str(fw->opcode) ? mlx5tls_cmd_opcode_str(fw->opcode) : "?";
}

static const char *fw_status_name(const struct mlx5tls_fw_error *fw)
{
	if (fw->status_name)
		return fw->status_name;
	return mlx5tls_fw_status_str(fw->status) ? mlx5tls_fw_status_str(fw->status) : "?";
}

/* For the general-object commands (CREATE/MODIFY/QUERY/DESTROY_GENERAL_OBJECT, 0xa00..0xa03) the
 * library reports the object type in op_mod. */
static const char *fw_op_mod_key(const struct mlx5tls_fw_error *fw)
{
	return fw->opcode >= 0xa00 && fw->opcode <= 0xa03 ? "obj_type" : "op_mod";
}

void tool_err_report(const struct tool *t, const char *what, const struct tool_err *e)
{
	if (t->json) {
		/* the same members as the text, as one JSON line */
		const struct mlx5tls_fw_error *fw = &e->fw;

		fputs("{\"error\":{\"program\":", stderr);
		json_str(stderr, t->prog);
		fputs(",\"message\":", stderr);
		json_str(stderr, what);
		fprintf(stderr, ",\"errno\":%d,\"strerror\":", -e->err);
		json_str(stderr, strerror(-e->err));
		if (e->have_fw) {
			fputs(",\"firmware\":{\"opcode_name\":", stderr);
			json_str(stderr, fw_opcode_name(fw));
			fprintf(stderr, ",\"opcode\":\"0x%04x\",\"%s\":\"0x%04x\",\"status_name\":",
				fw->opcode, fw_op_mod_key(fw), fw->op_mod);
			json_str(stderr, fw_status_name(fw));
			fprintf(stderr, ",\"status\":\"0x%02x\",\"syndrome\":\"0x%08x\"", fw->status,
				fw->syndrome);
			if (fw->syndrome_text) {
				fputs(",\"syndrome_text\":", stderr);
				json_str(stderr, fw->syndrome_text);
			}
			fputc('}', stderr);
		}
		fputs("}}\n", stderr);
		return;
	}
	fprintf(stderr, "%s: %s: %s", t->prog, what, strerror(-e->err));
	if (e->have_fw) {
		const struct mlx5tls_fw_error *fw = &e->fw;

		fprintf(stderr, "; firmware: %s (opcode 0x%04x %s 0x%04x) status %s (0x%02x) "
			"syndrome 0x%08x", fw_opcode_name(fw), fw->opcode, fw_op_mod_key(fw),
			fw->op_mod, fw_status_name(fw), fw->status, fw->syndrome);
		if (fw->syndrome_text)
			fprintf(stderr, " (%s)", fw->syndrome_text);
	}
	fputc('\n', stderr);
}

void tool_err_print(const struct tool_err *e)
{
	pr_open_object("error");
	pr_int("errno", NULL, -e->err);
	pr_string("message", ": %s", strerror(-e->err));
	if (e->have_fw) {
		const struct mlx5tls_fw_error *fw = &e->fw;

		pr_open_object("firmware");
		pr_string("opcode_name", "; firmware: %s", fw_opcode_name(fw));
		pr_hex("opcode", " (opcode %s", fw->opcode);
		if (strcmp(fw_op_mod_key(fw), "obj_type") == 0)
			pr_hex("obj_type", " obj_type %s)", fw->op_mod);
		else
			pr_hex("op_mod", " op_mod %s)", fw->op_mod);
		pr_string("status_name", " status %s", fw_status_name(fw));
		pr_hex("status", " (%s)", fw->status);
		pr_hex("syndrome", " syndrome %s", fw->syndrome);
		if (fw->syndrome_text)
			pr_string("syndrome_text", " (%s)", fw->syndrome_text);
		pr_close_object();
	}
	pr_close_object();
}

int tool_fail(const struct tool *t, const char *what, int err)
{
	struct tool_err e;

	tool_err_capture(&e, err);
	tool_err_report(t, what, &e);
	return 1;
}

/* ---- library log ---- */

/* While a device opens, the library's warnings are kept (the tool reports the failure once, with
 * the library's reason) rather than printed. */
static bool log_capture;
static char log_captured[512];

static int tool_log(enum mlx5tls_print_level level, const char *fmt, va_list args)
{
	static int all = -1;
	char msg[1024];
	size_t len;

	if (all < 0)
		all = getenv("MLX5TLS_DEBUG") != NULL;
	if (level != MLX5TLS_WARN && !all)
		return 0;
	if (!json_errors && !(log_capture && level == MLX5TLS_WARN))
		return vfprintf(stderr, fmt, args);
	vsnprintf(msg, sizeof(msg), fmt, args);
	len = strlen(msg);
	while (len > 0 && msg[len - 1] == '\n')
		msg[--len] = '\0';
	if (log_capture && level == MLX5TLS_WARN) {
		strlcpy(log_captured, msg, sizeof(log_captured));
		return (int)len;
	}
	fputs(level == MLX5TLS_WARN ? "{\"warning\":" : "{\"debug\":", stderr);
	json_str(stderr, msg);
	fputs("}\n", stderr);
	return (int)len;
}

void tool_setup_logging(void)
{
	mlx5tls_set_print(tool_log);
}

/* ---- devices ---- */

const char *tool_kind_str(enum mlx5tls_device_kind kind)
{
	return kind == MLX5TLS_DEVICE_MODEL ? "model" : "hw";
}

/* The first real ConnectX device's name into buf, or false if there is none. */
static bool first_hw_device(char *buf, size_t len)
{
	struct mlx5tls_device_info *list;
	bool found = false;
	int n = 0;

	list = mlx5tls_get_device_list(&n);
	if (!list)
		return false;
	for (int i = 0; i < n && !found; i++) {
		if (list[i].kind == MLX5TLS_DEVICE_HW) {
			strlcpy(buf, list[i].name, len);
			found = true;
		}
	}
	mlx5tls_free_device_list(list);
	return found;
}

int tool_open_device(struct tool *t, bool auto_hw)
{
	const char *env = getenv("MLX5TLS_DEVICE");
	char hw[sizeof(((struct mlx5tls_device_info *)0)->name)];
	const char *name = t->dev_name;
	char what[160];
	int err;

	t->fallback = false;
	if (!name && env && *env)
		name = env;
	if (!name && auto_hw && first_hw_device(hw, sizeof(hw)))
		name = hw;
	if (!name) {
		name = TOOL_DEFAULT_MODEL;
		t->fallback = auto_hw;
	}

	log_capture = true;
	log_captured[0] = '\0';
	t->dev = mlx5tls_device_open(name, NULL);
	log_capture = false;
	if (!t->dev) {
		int open_err = errno;
		/* the library says why ("cannot open device NAME: REASON"): its reason, once */
		const char *reason = strstr(log_captured, name);

		if (reason && strncmp(reason + strlen(name), ": ", 2) == 0) {
			tool_error(t, "cannot open device '%s': %s", name, reason + strlen(name) + 2);
			return 1;
		}
		if (log_captured[0])
			tool_error(t, "%s", log_captured);
		snprintf(what, sizeof(what), "cannot open device '%s'", name);
		return tool_fail(t, what, open_err);
	}
	memset(&t->attr, 0, sizeof(t->attr));
	err = mlx5tls_device_query(t->dev, &t->attr);
	if (err) {
		snprintf(what, sizeof(what), "cannot query device '%s'", name);
		tool_fail(t, what, err);
		tool_close_device(t);
		return 1;
	}
	/* "sim" is the model's default profile: name it as mlx5tls_get_device_list() does. */
	if (t->attr.kind == MLX5TLS_DEVICE_MODEL && t->attr.profile[0] && !strchr(t->attr.name, ':')) {
		char full[sizeof(t->attr.name)];

		snprintf(full, sizeof(full), "%.20s:%.31s", t->attr.name, t->attr.profile);
		memcpy(t->attr.name, full, sizeof(full));
	}
	if (t->fallback) /* also with -j (as a JSON line): stderr does not disturb stdout */
		tool_notice(t, "no ConnectX device found; using the device model %s", t->attr.name);
	return 0;
}

void tool_close_device(struct tool *t)
{
	if (!t->dev)
		return;
	if (mlx5tls_device_close(t->dev))
		tool_fail(t, "closing the device", errno);
	t->dev = NULL;
}

void tool_print_device(const struct tool *t)
{
	const struct mlx5tls_device_attr *a = &t->attr;

	pr_string("name", "device %s", a->name);
	pr_string("kind", " kind %s", tool_kind_str(a->kind));
	pr_bool("model", NULL, a->kind == MLX5TLS_DEVICE_MODEL);
	pr_string("transport", " transport %s", a->transport);
	if (a->profile[0] || pr_is_json())
		pr_string("profile", " profile %s", a->profile);
	pr_string("fw_ver", " fw %s", a->fw_ver);
	pr_bool("fallback", NULL, t->fallback);
	if (t->fallback)
		pr_text(" (no ConnectX device found: model used)");
}

/* ---- suites ---- */

const struct tool_suite tool_suites[] = {
	{ MLX5TLS_SUITE_TLS12_AES_GCM_128, "tls1.2-aes-gcm-128", TLS_1_2_VERSION,
	  TLS_CIPHER_AES_GCM_128, 128 },
	{ MLX5TLS_SUITE_TLS13_AES_GCM_128, "tls1.3-aes-gcm-128", TLS_1_3_VERSION,
	  TLS_CIPHER_AES_GCM_128, 128 },
	{ MLX5TLS_SUITE_TLS12_AES_GCM_256, "tls1.2-aes-gcm-256", TLS_1_2_VERSION,
	  TLS_CIPHER_AES_GCM_256, 256 },
	{ MLX5TLS_SUITE_TLS13_AES_GCM_256, "tls1.3-aes-gcm-256", TLS_1_3_VERSION,
	  TLS_CIPHER_AES_GCM_256, 256 },
};
const size_t tool_nr_suites = sizeof(tool_suites) / sizeof(tool_suites[0]);

const struct tool_suite *tool_suite_by_bit(uint32_t bit)
{
	for (size_t i = 0; i < tool_nr_suites; i++)
		if (tool_suites[i].bit == bit)
			return &tool_suites[i];
	return NULL;
}

const struct tool_suite *tool_pick_suite(uint32_t suites, uint32_t preferred)
{
	if (suites & preferred) {
		for (size_t i = 0; i < tool_nr_suites; i++)
			if (tool_suites[i].bit & suites & preferred)
				return &tool_suites[i];
	}
	for (size_t i = 0; i < tool_nr_suites; i++)
		if (tool_suites[i].bit & suites)
			return &tool_suites[i];
	return NULL;
}

void tool_print_suites(const char *key, const char *fmt, uint32_t suites)
{
	pr_open_array(key);
	for (size_t i = 0; i < tool_nr_suites; i++)
		if (suites & tool_suites[i].bit)
			pr_string(NULL, fmt, tool_suites[i].name);
	pr_close_array();
}

/* Appends with snprintf semantics, never past len. */
static void append(char *buf, size_t len, const char *s)
{
	size_t used = strnlen(buf, len);

	if (used < len)
		snprintf(buf + used, len - used, "%s", s);
}

void tool_tls_summary(const struct mlx5tls_caps *caps, char *buf, size_t len)
{
	bool v12 = false, v13 = false, c128 = false, c256 = false;
	unsigned int nr = 0;

	if (len == 0)
		return;
	buf[0] = '\0';
	for (size_t i = 0; i < tool_nr_suites; i++) {
		const struct tool_suite *s = &tool_suites[i];

		if (!(caps->suites & s->bit))
			continue;
		nr++;
		v12 |= s->version == TLS_1_2_VERSION;
		v13 |= s->version == TLS_1_3_VERSION;
		c128 |= s->key_bits == 128;
		c256 |= s->key_bits == 256;
	}
	if (!caps->tls_tx && !caps->tls_rx) {
		append(buf, len, caps->crypto ? "none (no TLS offload)" : "none (no crypto)");
		return;
	}
	append(buf, len, caps->tls_tx ? "tx" : "");
	append(buf, len, caps->tls_tx && caps->tls_rx ? " " : "");
	append(buf, len, caps->tls_rx ? "rx" : "");
	if (nr == 0) {
		append(buf, len, "; no suite");
	} else if (nr == (unsigned int)(v12 + v13) * (unsigned int)(c128 + c256)) {
		/* a full cross product: versions x ciphers */
		append(buf, len, "; ");
		append(buf, len, v12 && v13 ? "1.2/1.3" : v12 ? "1.2" : "1.3");
		append(buf, len, " x ");
		append(buf, len, c128 && c256 ? "aes-gcm-128/256" : c128 ? "aes-gcm-128" : "aes-gcm-256");
	} else {
		append(buf, len, ";");
		for (size_t i = 0; i < tool_nr_suites; i++) {
			if (caps->suites & tool_suites[i].bit) {
				append(buf, len, " ");
				append(buf, len, tool_suites[i].name);
			}
		}
	}
	if (caps->bulk_dek)
		append(buf, len, "; bulk-dek");
	if (caps->dek_sync)
		append(buf, len, "; dek-sync");
	if (!caps->ktls_capable)
		append(buf, len, "; not ktls-capable");
}

/* ---- crypto info ---- */

static void fill_random(void *buf, size_t len, void *arg)
{
	unsigned char *p = buf;

	(void)arg;
	while (len > 0) {
		ssize_t n = getrandom(p, len, 0);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			abort(); /* getrandom(2) with len <= 256 and no flags does not fail */
		}
		p += n;
		len -= (size_t)n;
	}
}

size_t tool_crypto_info(union tool_crypto_info *ci, const struct tool_suite *s,
			void (*rand)(void *buf, size_t len, void *arg), void *arg)
{
	memset(ci, 0, sizeof(*ci));
	if (!s) {
		errno = EINVAL;
		return 0;
	}
	if (!rand)
		rand = fill_random;
	ci->info.version = s->version;
	ci->info.cipher_type = s->cipher;
	if (s->cipher == TLS_CIPHER_AES_GCM_128) {
		rand(ci->gcm128.key, sizeof(ci->gcm128.key), arg);
		return sizeof(ci->gcm128);
	}
	rand(ci->gcm256.key, sizeof(ci->gcm256.key), arg);
	return sizeof(ci->gcm256);
}
