/* SPDX-License-Identifier: BSD-3-Clause */
/* SYNC_CRYPTO (fact sheet 3.6): flush the NIC's DEK caches so freed DEKs may be re-keyed. */
#include <stdatomic.h>

#include "prm/mlx5_ifc_tls.h"
#include "sim/sim_internal.h"

int sim_cmd_sync_crypto(struct sim_cmd *c)
{
	uint32_t crypto_type = DEVX_GET(sync_crypto_in, c->in, crypto_type);
	const uint32_t known = MLX5_SYNC_CRYPTO_TYPE_ALL | MLX5_SYNC_CRYPTO_TYPE_TLS;

	/* Fact sheet 3.6: the kernel reads crypto_type as a bit mask, BIT(0) = all types and
	 * BIT(key_purpose) per purpose; TLS (purpose 1) is 0x2. The formal definition is NOT FOUND,
	 * so the model accepts exactly the bits it can give a meaning to, and not "nothing". */
	if (!crypto_type || (crypto_type & ~known))
		return sim_reject(c, SIM_SYND_SYNC_TYPE_INVALID);
	/* Both accepted bits cover TLS DEKs: every DEK element may be loaded once more. A new
	 * epoch invalidates all records' "loaded" bits at once (dek_store.c clears them lazily). */
	atomic_fetch_add_explicit(&c->dev->sync_epoch, 1, memory_order_relaxed);
	c->dev->stats.syncs++;
	return 0;
}
