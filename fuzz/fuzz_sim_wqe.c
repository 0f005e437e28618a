/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The model's WQE engine on arbitrary send-queue contents. A fresh model device per input with a
 * TLS TIS, a DEK, a plain TIS, a 64-WQEBB send queue (step mode) and a memory region at a fixed
 * address (MR_ADDR, so that seeds can point into it); the input is written into the ring as
 * WQEBBs (rounds: [BE16 bytes][bytes], each round rung and processed, the producer counter
 * advancing by the WQEBBs written) and the engine consumes it, TLS context updates included.
 * Oracles: the engine never reports more WQEs consumed than were announced; every CQE it writes
 * has a known opcode; the queue can always be reset and brought back to ready.
 */
#include <endian.h>
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "prm/mlx5_ifc_tls.h"
#include "sim/port.h"
#include "sim/sim.h"
#include "sim/sq.h"
#include "wqe.h"

#define MR_ADDR ((void *)0x200000000000ull)
#define MR_LEN (1u << 16)
#define LOG_WQEBBS 6u

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint32_t new_num(struct sim_dev *dev, uint16_t uid, uint16_t opcode)
{
	uint32_t in[4] = { 0 };
	uint8_t out[16] = { 0 };

	DEVX_SET(mbox_in, in, opcode, opcode);
	if (sim_cmd_exec(dev, uid, in, sizeof(in), out, sizeof(out)))
		return 0;
	return (uint32_t)out[9] << 16 | (uint32_t)out[10] << 8 | out[11];
}

static uint32_t create_tis(struct sim_dev *dev, uint16_t uid, uint32_t td, uint32_t pd, int tls)
{
	uint32_t in[DEVX_ST_SZ_DW(create_tis_in)] = { 0 };
	uint8_t out[16] = { 0 };

	DEVX_SET(create_tis_in, in, opcode, MLX5_CMD_OP_CREATE_TIS);
	DEVX_SET(create_tis_in, in, ctx.tls_en, tls);
	DEVX_SET(create_tis_in, in, ctx.transport_domain, td);
	DEVX_SET(create_tis_in, in, ctx.pd, pd);
	if (sim_cmd_exec(dev, uid, in, sizeof(in), out, sizeof(out)))
		return 0;
	return (uint32_t)out[9] << 16 | (uint32_t)out[10] << 8 | out[11];
}

static uint32_t create_dek(struct sim_dev *dev, uint16_t uid, uint32_t pd)
{
	uint32_t in[528 / 4] = { 0 };
	uint8_t out[16] = { 0 };

	DEVX_SET(create_encryption_key_in, in, hdr.opcode, MLX5_CMD_OP_CREATE_GENERAL_OBJECT);
	DEVX_SET(create_encryption_key_in, in, hdr.obj_type,
		 MLX5_GENERAL_OBJECT_TYPES_ENCRYPTION_KEY);
	DEVX_SET(create_encryption_key_in, in, obj.key_purpose,
		 MLX5_ENCRYPTION_KEY_OBJ_KEY_PURPOSE_TLS);
	DEVX_SET(create_encryption_key_in, in, obj.pd, pd);
	memset((uint8_t *)in + 96, 0x5a, 16);
	if (sim_cmd_exec(dev, uid, in, sizeof(in), out, sizeof(out)))
		return 0;
	return (uint32_t)out[8] << 24 | (uint32_t)out[9] << 16 | (uint32_t)out[10] << 8 | out[11];
}

/* Seeds (fuzz/corpus/fuzz_sim_wqe, remade by fuzz/run.sh --seeds): what the library posts - static
 * params, progress params, a DUMP of MR bytes, a fenced NOP - built by the library's own WQE
 * builders for this setup's numbers, as rounds of this target's input format. */
static void write_seeds(const char *dir, uint32_t sqn, uint32_t tisn, uint32_t dek, uint32_t lkey)
{
	uint8_t w[5][192], out[2048];
	struct tls_static_info si = { .dek_index = dek };
	void *bb[3] = { w[0], w[0] + 64, w[0] + 128 };
	const struct {
		const char *name;
		unsigned int parts[5];
		unsigned int n;
		bool rounds;
	} seeds[] = {
		{ "tls_all_in_one", { 0, 1, 2 }, 3, false },
		{ "tls_rounds", { 0, 1, 2 }, 3, true },
		{ "nop_dump", { 3, 2 }, 2, true },
	};
	static const unsigned int nbb[4] = { 3, 1, 1, 1 };

	memset(w, 0, sizeof(w));
	si.rec_seq[7] = 1;
	si.salt[0] = 0x11;
	wqe_build_static_params(bb, 0, sqn, MLX5TLS_OPC_MOD_TIS, tisn, false, &si);
	wqe_build_progress_params(w[1], 3, sqn, MLX5TLS_OPC_MOD_TIS, tisn, false, 0);
	wqe_build_dump(w[2], 4, sqn, tisn, (uint64_t)(uintptr_t)MR_ADDR + 128, lkey, 300, true);
	wqe_build_fence_nop(w[3], 0, sqn);
	for (size_t k = 0; k < sizeof(seeds) / sizeof(seeds[0]); k++) {
		char path[512];
		size_t len = 0, start = 0;
		FILE *f;

		for (unsigned int i = 0; i < seeds[k].n; i++) {
			unsigned int p = seeds[k].parts[i], bytes = nbb[p] * 64;

			if (seeds[k].rounds || i == 0) {
				start = len;
				len += 2;
			}
			memcpy(out + len, w[p], bytes);
			len += bytes;
			out[start] = (uint8_t)((len - start - 2) >> 8);
			out[start + 1] = (uint8_t)(len - start - 2);
		}
		snprintf(path, sizeof(path), "%s/%s", dir, seeds[k].name);
		f = fopen(path, "wb");
		if (!f || fwrite(out, 1, len, f) != len || fclose(f))
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t *mem;
	static bool seeds_done;
	uint32_t tls_tisn, dek;
	struct sim_cq_attr ca = { .log_cqes = 6 };
	struct sim_sq_attr sa = { .log_wqebbs = LOG_WQEBBS };
	struct sim_sq_info si;
	struct sim_cq_info ci;
	struct sim_dev *dev;
	struct sim_cq *cq;
	struct sim_sq *sq;
	struct sim_port *cap;
	uint16_t uid;
	uint32_t pd, td, lkey, pc = 0, cq_ci = 0;
	int rounds = 0;

	if (!mem) {
		mem = mmap(MR_ADDR, MR_LEN, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
		if (mem == MAP_FAILED)
			abort();
	}
	memset(mem, 0x17, MR_LEN);
	dev = sim_dev_create(NULL);
	if (!dev || sim_uctx_alloc(dev, &uid))
		abort();
	pd = new_num(dev, uid, MLX5_CMD_OP_ALLOC_PD);
	td = new_num(dev, uid, MLX5_CMD_OP_ALLOC_TRANSPORT_DOMAIN);
	tls_tisn = pd && td ? create_tis(dev, uid, td, pd, 1) : 0;
	dek = pd ? create_dek(dev, uid, pd) : 0;
	if (!tls_tisn || !dek)
		abort();
	sa.tisn = create_tis(dev, uid, td, 0, 0);
	cap = sim_port_capture_create(256);
	cq = sim_cq_create(dev, &ca);
	if (!sa.tisn || !cap || !cq)
		abort();
	sa.cq = cq;
	sa.pd = pd;
	sa.port = cap;
	sq = sim_sq_create(dev, &sa);
	if (!sq || sim_sq_modify(sq, SIM_SQ_RDY) || sim_mr_reg(dev, pd, mem, MR_LEN, &lkey))
		abort();
	sim_sq_query(sq, &si);
	sim_cq_query(cq, &ci);
	if (!seeds_done && getenv("FUZZ_SEED_DIR")) {
		write_seeds(getenv("FUZZ_SEED_DIR"), si.sqn, tls_tisn, dek, lkey);
		seeds_done = true;
	}
	while (size >= 2 && rounds++ < 8) {
		size_t n = (size_t)data[0] << 8 | data[1], nbb;
		uint64_t ctrl8;
		int done;

		data += 2;
		size -= 2;
		if (n > size)
			n = size;
		nbb = (n + 63) / 64;
		if (nbb > si.wqe_cnt)
			nbb = si.wqe_cnt, n = nbb * 64;
		for (size_t b = 0; b < nbb; b++) {
			uint8_t *dst = (uint8_t *)si.buf + (size_t)((pc + b) % si.wqe_cnt) * 64;
			size_t k = n - b * 64 < 64 ? n - b * 64 : 64;

			memset(dst, 0, 64);
			memcpy(dst, data + b * 64, k);
		}
		data += n;
		size -= n;
		pc += (uint32_t)nbb;
		__atomic_store_n(&si.dbrec[1], htobe32(pc & 0xffff), __ATOMIC_RELEASE);
		memcpy(&ctrl8, si.buf, 8);
		sim_sq_ring_doorbell(sq, ctrl8);
		done = sim_sq_process(sq);
		if (done > (int)nbb + 64)
			abort(); /* more WQEs than WQEBBs announced (a WQE is at least one) */
		/* every CQE written has a known opcode: REQ (0), REQ_ERR (13) */
		for (;;) {
			const uint8_t *cqe =
				(const uint8_t *)ci.buf + (size_t)(cq_ci & (ci.cqe_cnt - 1)) * 64;
			uint8_t op_own = __atomic_load_n(&cqe[63], __ATOMIC_ACQUIRE);

			if ((op_own >> 4) == 0xf || (op_own & 1) != !!(cq_ci & ci.cqe_cnt))
				break;
			if ((op_own >> 4) != 0 && (op_own >> 4) != 0xd)
				abort();
			cq_ci++;
			__atomic_store_n(&ci.dbrec[0], htobe32(cq_ci & 0xffffff), __ATOMIC_RELEASE);
		}
		sim_port_capture_clear(cap);
		{
			struct sim_sq_info now;

			/* an error: the queue recovers (ERR -> RST -> RDY), counters from 0 */
			sim_sq_query(sq, &now);
			if (now.state == SIM_SQ_ERR) {
				if (sim_sq_modify(sq, SIM_SQ_RST) || sim_sq_modify(sq, SIM_SQ_RDY))
					abort();
				pc = 0;
				__atomic_store_n(&si.dbrec[1], 0, __ATOMIC_RELEASE);
			}
		}
	}
	sim_sq_destroy(sq);
	if (sim_cq_destroy(cq) || sim_mr_dereg(dev, lkey))
		abort();
	sim_port_destroy(cap);
	sim_dev_destroy(dev);
	return 0;
}
