/* SPDX-License-Identifier: BSD-3-Clause */
/* QUERY_HCA_CAP: the general, TLS and crypto capability pages of the profile (fact sheet 5). */
#include "prm/mlx5_ifc_tls.h"
#include "sim/sim_internal.h"

static void fill_general_caps(const struct sim_profile *p, void *cap)
{
	/* Fact sheet 5.2 / 3.3: the DEK object type is bit 12 (0xc) of the BE64 general_obj_types. */
	uint64_t obj_types = p->dek_type ? 1ull << MLX5_GENERAL_OBJECT_TYPES_ENCRYPTION_KEY : 0;

	DEVX_SET(cmd_hca_cap, cap, log_max_transport_domain, p->log_max_transport_domain);
	DEVX_SET(cmd_hca_cap, cap, log_max_pd, p->log_max_pd);
	DEVX_SET(cmd_hca_cap, cap, log_max_tir, p->log_max_tir);
	DEVX_SET(cmd_hca_cap, cap, log_max_tis, p->log_max_tis);
	DEVX_SET64(cmd_hca_cap, cap, general_obj_types, obj_types);
	DEVX_SET(cmd_hca_cap, cap, crypto, p->crypto);
	DEVX_SET(cmd_hca_cap, cap, tls_tx, p->tls_tx);
	DEVX_SET(cmd_hca_cap, cap, tls_rx, p->tls_rx);
	DEVX_SET(cmd_hca_cap, cap, log_max_dek, p->log_max_dek);
}

static void fill_tls_caps(const struct sim_profile *p, void *cap)
{
	DEVX_SET(tls_cap, cap, tls_1_2_aes_gcm_128, !!(p->tls_suites & SIM_TLS_1_2_AES_GCM_128));
	DEVX_SET(tls_cap, cap, tls_1_3_aes_gcm_128, !!(p->tls_suites & SIM_TLS_1_3_AES_GCM_128));
	DEVX_SET(tls_cap, cap, tls_1_2_aes_gcm_256, !!(p->tls_suites & SIM_TLS_1_2_AES_GCM_256));
	DEVX_SET(tls_cap, cap, tls_1_3_aes_gcm_256, !!(p->tls_suites & SIM_TLS_1_3_AES_GCM_256));
}

static void fill_crypto_caps(const struct sim_profile *p, void *cap)
{
	DEVX_SET(crypto_cap, cap, synchronize_dek, p->synchronize_dek);
	DEVX_SET(crypto_cap, cap, log_dek_max_alloc, p->log_dek_max_alloc);
	DEVX_SET(crypto_cap, cap, log_max_num_deks, p->log_max_num_deks);
}

int sim_cmd_query_hca_cap(struct sim_cmd *c)
{
	const struct sim_profile *p = &c->dev->prof;
	uint16_t op_mod = DEVX_GET(query_hca_cap_in, c->in, op_mod);
	/* op_mod = cap_type << 1 | cur (fact sheet 5.1). Model choice: "max" and "cur" give the
	 * same values, as nothing in the model changes a capability (no SET_HCA_CAP). */
	uint16_t cap_type = op_mod >> 1;
	void *cap = DEVX_ADDR_OF(query_hca_cap_out, c->out, capability);

	if (DEVX_GET(query_hca_cap_in, c->in, other_function) ||
	    DEVX_GET(query_hca_cap_in, c->in, ec_vf_function))
		return sim_reject(c, SIM_SYND_CAP_OTHER_FUNCTION_SET);
	if (DEVX_GET(query_hca_cap_in, c->in, function_id))
		return sim_reject(c, SIM_SYND_CAP_FUNCTION_ID_SET);

	switch (cap_type) {
	case MLX5_CAP_TYPE_GENERAL:
		fill_general_caps(p, cap);
		return 0;
	case MLX5_CAP_TYPE_TLS:
		/* Fact sheet 5.1: the kernel asks for TLS caps only if tls_tx || tls_rx. */
		if (!p->tls_tx && !p->tls_rx)
			return sim_reject(c, SIM_SYND_CAP_TLS_ABSENT);
		fill_tls_caps(p, cap);
		return 0;
	case MLX5_CAP_TYPE_CRYPTO:
		/* ... and crypto caps only if cmd_hca_cap.crypto. */
		if (!p->crypto)
			return sim_reject(c, SIM_SYND_CAP_CRYPTO_ABSENT);
		fill_crypto_caps(p, cap);
		return 0;
	default:
		return sim_reject(c, SIM_SYND_CAP_TYPE_UNSUPPORTED);
	}
}
