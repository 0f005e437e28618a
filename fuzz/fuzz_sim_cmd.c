/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The model's command executor (sim_cmd_exec) on arbitrary mailboxes. The input is a sequence of
 * commands, each [BE16 inlen][BE16 outlen][inlen bytes], run in order on a fresh model device (so
 * that a CREATE can be followed by a MODIFY/QUERY/DESTROY of what it made).
 * Oracle: a command returns 0 with status OK, or -EREMOTEIO with a non-zero status, a syndrome and
 * nothing but the header in out; -EINVAL only for the arguments the API refuses (outlen < 16).
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sim/sim.h"

#define MAX_OUT 4112u

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t in[4096], out[MAX_OUT];
	struct sim_dev *dev = sim_dev_create(NULL);
	uint16_t uid;

	if (!dev)
		abort();
	if (sim_uctx_alloc(dev, &uid))
		abort();
	while (size >= 4) {
		size_t inlen = (size_t)data[0] << 8 | data[1];
		size_t outlen = ((size_t)data[2] << 8 | data[3]) % (MAX_OUT + 1);
		int ret;

		data += 4;
		size -= 4;
		if (inlen > size)
			inlen = size;
		if (inlen > sizeof(in))
			inlen = sizeof(in);
		memcpy(in, data, inlen);
		data += inlen;
		size -= inlen;
		memset(out, 0xa5, sizeof(out));
		ret = sim_cmd_exec(dev, uid, in, inlen, out, outlen);
		if (outlen < 16) {
			if (ret != -EINVAL)
				abort();
			continue;
		}
		if (ret == 0) {
			if (out[0] != 0)
				abort(); /* status OK */
		} else if (ret == -EREMOTEIO) {
			if (out[0] == 0)
				abort(); /* a failure has a status */
			for (size_t i = 16; i < outlen; i++)
				if (out[i])
					abort(); /* a rejection returns the header only */
		} else {
			abort();
		}
		for (size_t i = outlen; i < sizeof(out); i++)
			if (out[i] != 0xa5)
				abort(); /* never past outlen */
	}
	sim_uctx_free(dev, uid);
	sim_dev_destroy(dev);
	return 0;
}
