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

/* ---- global options ---- */

int tool_parse_options(struct tool *t, int argc, char **argv, bool details)
{
	static const struct option all_opts[] = {
		{ "device", required_argument, NULL, 'd' },
		{ "json", no_argument, NULL, 'j' },
		{ "pretty", no_argument, NULL, 'p' },
		{ "details", no_argument, NULL, 'D' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct option long_opts[sizeof(all_opts) / sizeof(all_opts[0])];
	size_t n = 0;
	int opt;

	/* without `details`, --details is unknown and --de abbreviates --device */
	for (size_t i = 0; i < sizeof(all_opts) / sizeof(all_opts[0]); i++)
		if (details || all_opts[i].val != 'D')
			long_opts[n++] = all_opts[i];
	while ((opt = getopt_long(argc, argv, details ? "+d:jpDVh" : "+d:jpVh", long_opts,
				  NULL)) != -1) {
		switch (opt) {
		case 'd':
			t->dev_name = optarg;
			break;
		case 'j':
			t->json = true;
			break;
		case 'p':
			t->pretty = true;
			break;
		case 'D':
			t->details = true;
			break;
		case 'V':
			printf("%s %s\n", t->prog, MLX5TLS_VERSION);
			return EXIT_SUCCESS;
		case 'h':
			t->usage(stdout);
			return EXIT_SUCCESS;
		default:
			t->usage(stderr);
			return EXIT_FAILURE;
		}
	}
	t->argc = argc - optind;
	t->argv = argv + optind;
	return TOOL_CONTINUE;
}

int tool_help(struct tool *t)
{
	t->usage(stdout);
	return 0;
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
	fprintf(stderr, "%s: unexpected argument '%s'\n", t->prog, t->argv[0]);
	if (t->usage)
		t->usage(stderr);
	return 1;
}

static bool word_matches(const char *word, const char *name)
{
	size_t len = strlen(word);

	return len > 0 && len <= strlen(name) && memcmp(name, word, len) == 0;
}

int tool_exec_cmd(struct tool *t, const struct tool_cmd *cmds, const char *what)
{
	const char *word = tool_word(t);

	if (!word)
		return cmds[0].func(t);
	for (const struct tool_cmd *c = cmds; c->func; c++) {
		if (c->name && word_matches(word, c->name)) {
			tool_next(t);
			return c->func(t);
		}
	}
	fprintf(stderr, "%s: unknown %s '%s'\n", t->prog, what, word);
	if (t->usage)
		t->usage(stderr);
	return 1;
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

static int tool_log(enum mlx5tls_print_level level, const char *fmt, va_list args)
{
	static int all = -1;

	if (all < 0)
		all = getenv("MLX5TLS_DEBUG") != NULL;
	if (level != MLX5TLS_WARN && !all)
		return 0;
	return vfprintf(stderr, fmt, args);
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
			snprintf(buf, len, "%s", list[i].name);
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

	t->dev = mlx5tls_device_open(name, NULL);
	if (!t->dev) {
		snprintf(what, sizeof(what), "cannot open device '%s'", name);
		return tool_fail(t, what, errno);
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
	if (t->fallback) /* also with -j: stderr does not disturb the JSON on stdout */
		fprintf(stderr, "%s: no ConnectX device found; using the device model %s\n", t->prog,
			t->attr.name);
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
