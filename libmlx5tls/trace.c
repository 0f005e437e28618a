/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * MLX5TLS_TRACE: one JSON object per firmware command per line,
 *   {"dev":"sim:cx6dx","opcode":"0x0a00","name":"CREATE_GENERAL_OBJECT","op_mod":"0x0000",
 *    "obj_type":"0x000c","in":"HEX","out":"HEX","status":0,"syndrome":"0x00000000"}
 * with both mailboxes in full, lowercase hex, and every key byte written as "**" in place so
 * offsets stay readable while values never reach the file. Each line goes out in one write() on an
 * O_APPEND descriptor, so lines from several devices or processes do not interleave.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "cmd.h"
#include "prm/mlx5_ifc_tls.h"
#include "prm/prm_names.h"

struct mlx5tls_trace {
	int fd;
};

struct mlx5tls_trace *trace_open(const char *path)
{
	struct mlx5tls_trace *trace = calloc(1, sizeof(*trace));

	if (!trace)
		return NULL;
	trace->fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
	if (trace->fd < 0) {
		int err = errno;

		free(trace);
		errno = err;
		return NULL;
	}
	return trace;
}

void trace_close(struct mlx5tls_trace *trace)
{
	if (!trace)
		return;
	close(trace->fd);
	free(trace);
}

static char *put_hex(char *p, const uint8_t *buf, size_t len, const struct cmd_secret *secret)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < len; i++) {
		if (secret && i >= secret->off && i < secret->off + secret->len) {
			*p++ = '*';
			*p++ = '*';
		} else {
			*p++ = digits[buf[i] >> 4];
			*p++ = digits[buf[i] & 0xf];
		}
	}
	return p;
}

/* Device names come from the caller; keep the JSON valid whatever they contain. */
static char *put_json_str(char *p, const char *s, size_t max)
{
	for (size_t i = 0; i < max && s[i]; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '"' || c == '\\' || c < 0x20)
			*p++ = '_';
		else
			*p++ = (char)c;
	}
	return p;
}

void trace_cmd(struct mlx5tls_trace *trace, const char *dev_name, const void *in, size_t inlen,
	       const void *out, size_t outlen, const struct cmd_secret *secret)
{
	uint16_t opcode, op_mod, obj_type;
	size_t cap = 2 * (inlen + outlen) + 512;
	char *line = malloc(cap), *p;
	ssize_t n;

	if (!line)
		return;
	cmd_in_ids(in, &opcode, &op_mod, &obj_type);
	p = line;
	p += sprintf(p, "{\"dev\":\"");
	p = put_json_str(p, dev_name, 63);
	p += sprintf(p, "\",\"opcode\":\"0x%04x\",\"name\":\"%s\",\"op_mod\":\"0x%04x\"", opcode,
		     prm_opcode_name(opcode), op_mod);
	if (obj_type)
		p += sprintf(p, ",\"obj_type\":\"0x%04x\"", obj_type);
	p += sprintf(p, ",\"in\":\"");
	p = put_hex(p, in, inlen, secret);
	p += sprintf(p, "\",\"out\":\"");
	/* No command returns key bytes (QUERY reads them back as zero), so out is written as is. */
	p = put_hex(p, out, outlen, NULL);
	p += sprintf(p, "\",\"status\":%u,\"syndrome\":\"0x%08x\"}\n", cmd_out_status(out),
		     (unsigned int)DEVX_GET(mbox_out, out, syndrome));
	n = write(trace->fd, line, (size_t)(p - line));
	if (n != p - line)
		pr_warn("trace: short write (%s)\n", n < 0 ? "error" : "partial");
	free(line);
}

void trace_wqe(struct mlx5tls_trace *trace, const char *dev_name, const char *kind, uint32_t sqn,
	       const char *obj, uint32_t obj_num, const void *data, size_t len,
	       const struct cmd_secret *secret)
{
	char line[512], *p = line;
	ssize_t n;

	if (len > 128)
		return; /* params images are 64 / 12 bytes */
	p += sprintf(p, "{\"kind\":\"wqe\",\"wqe\":\"%s\",\"dev\":\"", kind);
	p = put_json_str(p, dev_name, 63);
	p += sprintf(p, "\",\"sqn\":%u,\"obj\":\"%s\",\"%sn\":%u,\"data\":\"", sqn, obj, obj,
		     obj_num);
	p = put_hex(p, data, len, secret);
	p += sprintf(p, "\"}\n");
	n = write(trace->fd, line, (size_t)(p - line));
	if (n != p - line)
		pr_warn("trace: short write (%s)\n", n < 0 ? "error" : "partial");
}
