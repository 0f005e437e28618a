/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What mlx5tls-query and mlx5tls-bench share (iproute2 rdma's utils.c): the command context, word
 * dispatch through {name, func} tables, device choice, error reporting with the firmware's status
 * and syndrome, and TLS suite names. Only the public API (mlx5tls/mlx5tls.h) is used.
 */
#ifndef MLX5TLS_TOOLS_TOOL_H
#define MLX5TLS_TOOLS_TOOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <mlx5tls/mlx5tls.h>

#include "print.h"

/* The model profile `sim` stands for when no profile is named. */
#define TOOL_DEFAULT_MODEL "sim"

struct tool {
	const char *prog; /* "mlx5tls-query", for messages */
	void (*usage)(FILE *fp); /* the program's usage text */
	int argc; /* words left to dispatch on */
	char **argv;
	const char *dev_name; /* `dev NAME` (mlx5tls-query), -d DEV (mlx5tls-bench) */
	bool deprecated_device; /* mlx5tls-query --device DEV */
	bool json;
	bool pretty;
	bool details;
	/* The device the command runs on (tool_open_device()). */
	struct mlx5tls_device *dev;
	struct mlx5tls_device_attr attr;
	bool fallback; /* the model was chosen because no ConnectX device was found */
};

struct tool_cmd {
	const char *name; /* NULL: entry 0 only, runs when no word follows */
	int (*func)(struct tool *t);
};

/*
 * Parse the global options into t, up to the first word (getopt "+"), and leave the words in
 * t->argc/t->argv, still inside argv (a command may re-parse its own options with its word as
 * getopt's argv[0]). rdma_style (mlx5tls-query, as iproute2 rdma): -d/--details, -j/--json,
 * -p/--pretty, -V/--version, -h/--help and the deprecated --device DEV (a warning); else
 * (mlx5tls-bench): -d/--device DEV, -j, -p, -V, -h. -V and -h print to stdout, a bad option the
 * usage to stderr. Returns TOOL_CONTINUE, or the exit status when the program is to end.
 */
#define TOOL_CONTINUE (-1)
int tool_parse_options(struct tool *t, int argc, char **argv, bool rdma_style);

/* Take `dev NAME` out of the object's arguments (t->argv[1..]) into t->dev_name. 0, or 1 after
 * an error (no NAME, two devices). */
int tool_take_device(struct tool *t);

/* The `help` word of both tools: the usage on stdout, exit status 0. */
int tool_help(struct tool *t);
/* No object: the usage on stderr, exit status 1. */
int tool_usage_fail(struct tool *t);

/* An error message on stderr: "PROG: MESSAGE" or, with -j, {"error":{"program","message"}} on one
 * line. tool_usage_error() adds the usage after it in text mode. */
void tool_error(const struct tool *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* A note that is no error (the model was chosen): as tool_error, {"notice":{...}} under -j. */
void tool_notice(const struct tool *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void tool_usage_error(const struct tool *t);

/*
 * Run the entry matching the next word (a prefix of its name, first in table order wins; entry 0
 * when there is no word), after consuming the word. An unknown word prints an error naming `what`
 * ("object", "command") and the usage, and returns 1. Returns the handler's exit status.
 */
int tool_exec_cmd(struct tool *t, const struct tool_cmd *cmds, const char *what);
/* As tool_exec_cmd(), but a word that names no command is left for entry 0, the default command, as
 * its first argument (`ctx pid 42` is `ctx show pid 42`); entry 0 rejects what it cannot take. */
int tool_exec_cmd_default(struct tool *t, const struct tool_cmd *cmds);
const char *tool_word(const struct tool *t); /* next word or NULL */
void tool_next(struct tool *t);
/* 0 if no word is left, else an "unexpected argument" error and 1. */
int tool_no_more_args(struct tool *t);

/* Route the library's log through the tool: warnings always (they explain failures), info and
 * debug only with $MLX5TLS_DEBUG; the tools say themselves when the device is the model. */
void tool_setup_logging(void);

/*
 * Open the device for the command: t->dev_name (-d), else $MLX5TLS_DEVICE if non-empty, else (if
 * auto_hw) the first ConnectX device of mlx5tls_get_device_list(), else the model "sim" with
 * t->fallback set and a note on stderr. Fills t->dev and t->attr (a model opened as
 * plain "sim" is named "sim:PROFILE"). 0 or 1 (reported).
 */
int tool_open_device(struct tool *t, bool auto_hw);
void tool_close_device(struct tool *t);
/* The device's identity members: name, kind, model, transport, profile, fw_ver (and fallback). */
void tool_print_device(const struct tool *t);

const char *tool_kind_str(enum mlx5tls_device_kind kind); /* "hw" / "model" */

/* An error as seen right after a failing call: the errno and, for -EREMOTEIO, the firmware's. */
struct tool_err {
	int err; /* negative errno */
	bool have_fw;
	struct mlx5tls_fw_error fw;
};

/* Capture err (negative or positive errno; 0 takes errno) and the thread's last firmware error. */
void tool_err_capture(struct tool_err *e, int err);
/* One line on stderr: "PROG: WHAT: strerror[; firmware: OPCODE status NAME (0xS) syndrome 0xX
 * (text)]"; with -j the same as a JSON object {"error":{...}}. */
void tool_err_report(const struct tool *t, const char *what, const struct tool_err *e);
/* The error through the print path: an "error" object {errno, message, firmware {...}}. */
void tool_err_print(const struct tool_err *e);
/* tool_err_capture + tool_err_report; returns 1 (the exit status). */
int tool_fail(const struct tool *t, const char *what, int err);

/* ---- TLS suites ---- */

struct tool_suite {
	uint32_t bit; /* MLX5TLS_SUITE_* */
	const char *name; /* "tls1.2-aes-gcm-128" */
	uint16_t version; /* TLS_1_2_VERSION */
	uint16_t cipher; /* TLS_CIPHER_AES_GCM_128 */
	unsigned int key_bits;
};

extern const struct tool_suite tool_suites[]; /* in MLX5TLS_SUITE_* bit order */
extern const size_t tool_nr_suites;

const struct tool_suite *tool_suite_by_bit(uint32_t bit);
/* The first suite of `preferred` the device has, else the first it has in bit order, else NULL. */
const struct tool_suite *tool_pick_suite(uint32_t suites, uint32_t preferred);
/* A "suites" array of names through the print path; fmt is each name's text format (NULL: JSON
 * only). */
void tool_print_suites(const char *key, const char *fmt, uint32_t suites);
/* One-line TLS summary: "tx rx; 1.2/1.3 x aes-gcm-128/256; bulk-dek; dek-sync" or "none ...". */
void tool_tls_summary(const struct mlx5tls_caps *caps, char *buf, size_t len);

/*
 * Crypto info of a suite with a key from `rand` (getrandom() when rand is NULL); iv, salt and
 * rec_seq are zero. Returns the size to pass as ci_len, or 0 on error (errno set). The caller
 * wipes ci with explicit_bzero() right after the DEK is created.
 */
union tool_crypto_info {
	struct tls_crypto_info info;
	struct tls12_crypto_info_aes_gcm_128 gcm128;
	struct tls12_crypto_info_aes_gcm_256 gcm256;
};
size_t tool_crypto_info(union tool_crypto_info *ci, const struct tool_suite *s,
			void (*rand)(void *buf, size_t len, void *arg), void *arg);

#endif /* MLX5TLS_TOOLS_TOOL_H */
