/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Device profiles: which ConnectX-6 Dx the model pretends to be. The fact sheets do not give real
 * CX-6 Dx limit values (fact sheet 13/15: "device-reported", NOT FOUND); the numbers below are the
 * model's choice, large enough for the project's scale target (1,000,000 contexts) and overridable
 * per device so tests can reach the limits cheaply ("cx6dx,log_max_tis=2").
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/sim_internal.h"

/* The object limits every profile shares (the model's choice, see above). */
#define CX6DX_OBJECT_LIMITS                                                               \
	.log_max_tis = 21, .log_max_tir = 21, .log_max_pd = 20, .log_max_transport_domain = 20

/* Each profile names what it has; a capability or limit it leaves out is off (false, 0). */
static const struct sim_profile builtin_profiles[] = {
	{
		.name = "cx6dx",
		.description = "ConnectX-6 Dx, current firmware: TLS 1.2/1.3 AES-GCM-128/256 TX+RX, "
			       "bulk DEKs, SYNC_CRYPTO",
		.fw_ver = "22.41.1000",
		.crypto = true,
		.tls_tx = true,
		.tls_rx = true,
		.dek_type = true,
		.bulk_dek = true,
		.sync_crypto = true,
		.synchronize_dek = true,
		.tls_suites = SIM_TLS_1_2_AES_GCM_128 | SIM_TLS_1_3_AES_GCM_128 |
			      SIM_TLS_1_2_AES_GCM_256 | SIM_TLS_1_3_AES_GCM_256,
		.log_max_dek = 22,
		.log_dek_max_alloc = 12,
		.log_max_num_deks = 22,
		CX6DX_OBJECT_LIMITS,
	},
	{
		/* Bulk DEK and SYNC_CRYPTO arrived with firmware 22.33.0783 (fact sheet 12.6), so an
		 * older 22.31 firmware has single DEKs only, TX only, TLS 1.2 AES-GCM-128 only. */
		.name = "cx6dx-legacy",
		.description = "ConnectX-6 Dx, older firmware: TLS 1.2 AES-GCM-128 TX only, single DEKs",
		.fw_ver = "22.31.1014",
		.tls_tx = true,
		.dek_type = true,
		.tls_suites = SIM_TLS_1_2_AES_GCM_128,
		.log_max_dek = 16,
		CX6DX_OBJECT_LIMITS,
	},
	{
		.name = "cx6dx-nocrypto",
		.description = "ConnectX-6 Dx without crypto: no TLS offload, no DEK objects",
		.fw_ver = "22.41.1000",
		CX6DX_OBJECT_LIMITS,
	},
};

#define NUM_PROFILES (sizeof(builtin_profiles) / sizeof(builtin_profiles[0]))

static struct sim_profile_desc profile_descs[NUM_PROFILES + 1];
static pthread_once_t profile_descs_once = PTHREAD_ONCE_INIT;

static void build_profile_descs(void)
{
	for (size_t i = 0; i < NUM_PROFILES; i++) {
		profile_descs[i].name = builtin_profiles[i].name;
		profile_descs[i].description = builtin_profiles[i].description;
		profile_descs[i].fw_ver = builtin_profiles[i].fw_ver;
	}
}

const struct sim_profile_desc *sim_profiles(void)
{
	pthread_once(&profile_descs_once, build_profile_descs);
	return profile_descs;
}

/* The limits a spec may override, all 5-bit log fields (fact sheet 5.2, 5.4). */
struct override_key {
	const char *key;
	size_t offset;
};

static const struct override_key override_keys[] = {
	{ "log_max_dek", offsetof(struct sim_profile, log_max_dek) },
	{ "log_max_tis", offsetof(struct sim_profile, log_max_tis) },
	{ "log_max_tir", offsetof(struct sim_profile, log_max_tir) },
	{ "log_max_pd", offsetof(struct sim_profile, log_max_pd) },
	{ "log_max_transport_domain", offsetof(struct sim_profile, log_max_transport_domain) },
	{ "log_dek_max_alloc", offsetof(struct sim_profile, log_dek_max_alloc) },
	{ "log_max_num_deks", offsetof(struct sim_profile, log_max_num_deks) },
};

/* Capability bits a spec may turn off or on ("synchronize_dek=0"): a firmware that has bulk DEKs
 * but does not promise synchronize_dek, for instance. */
static const struct override_key override_bools[] = {
	{ "synchronize_dek", offsetof(struct sim_profile, synchronize_dek) },
	{ "sync_crypto", offsetof(struct sim_profile, sync_crypto) },
	{ "bulk_dek", offsetof(struct sim_profile, bulk_dek) },
};

static int parse_log_value(const char *s, size_t len, uint8_t *val)
{
	unsigned v = 0;

	/* Decimal 0..31: the fields are 5 bits wide. No sign, no spaces, no empty value. */
	if (len == 0 || len > 2)
		return -EINVAL;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -EINVAL;
		v = v * 10 + (unsigned)(s[i] - '0');
	}
	if (v > 31)
		return -EINVAL;
	*val = (uint8_t)v;
	return 0;
}

static int apply_override(struct sim_profile *prof, const char *item, size_t len)
{
	const char *eq = memchr(item, '=', len);
	size_t key_len;

	if (!eq)
		return -EINVAL;
	key_len = (size_t)(eq - item);
	for (size_t i = 0; i < sizeof(override_bools) / sizeof(override_bools[0]); i++) {
		const struct override_key *k = &override_bools[i];

		if (strlen(k->key) == key_len && !memcmp(k->key, item, key_len)) {
			if (len - key_len - 1 != 1 || (eq[1] != '0' && eq[1] != '1'))
				return -EINVAL;
			*(bool *)((uint8_t *)prof + k->offset) = eq[1] == '1';
			return 0;
		}
	}
	for (size_t i = 0; i < sizeof(override_keys) / sizeof(override_keys[0]); i++) {
		const struct override_key *k = &override_keys[i];

		if (strlen(k->key) == key_len && !memcmp(k->key, item, key_len))
			return parse_log_value(eq + 1, len - key_len - 1,
					       (uint8_t *)prof + k->offset);
	}
	return -EINVAL;
}

int sim_profile_parse(const char *spec, struct sim_profile *prof)
{
	const char *p, *comma;
	size_t name_len;
	bool found = false;

	if (!spec || !*spec)
		spec = "cx6dx";
	comma = strchr(spec, ',');
	name_len = comma ? (size_t)(comma - spec) : strlen(spec);
	for (size_t i = 0; i < NUM_PROFILES; i++) {
		if (strlen(builtin_profiles[i].name) == name_len &&
		    !memcmp(builtin_profiles[i].name, spec, name_len)) {
			*prof = builtin_profiles[i];
			found = true;
			break;
		}
	}
	if (!found)
		return -EINVAL;
	for (p = comma; p; p = comma) {
		const char *item = p + 1;
		int ret;

		comma = strchr(item, ',');
		ret = apply_override(prof, item, comma ? (size_t)(comma - item) : strlen(item));
		if (ret)
			return ret;
	}
	return 0;
}

/* The words of a list, comma-separated, into buf (appended). */
static void append_list(char *buf, size_t len, const char *word, bool first)
{
	size_t used = strnlen(buf, len);

	if (used < len)
		snprintf(buf + used, len - used, "%s%s", first ? "" : ", ", word);
}

const char *sim_profile_explain(const char *spec, char *buf, size_t len)
{
	struct sim_profile prof;
	const char *comma, *p;
	size_t name_len;
	bool found = false;

	if (!buf || len == 0 || sim_profile_parse(spec, &prof) == 0)
		return NULL;
	comma = strchr(spec, ',');
	name_len = comma ? (size_t)(comma - spec) : strlen(spec);
	for (size_t i = 0; i < NUM_PROFILES && !found; i++)
		found = strlen(builtin_profiles[i].name) == name_len &&
			!memcmp(builtin_profiles[i].name, spec, name_len);
	if (!found) {
		snprintf(buf, len, "unknown model profile '%.*s' (profiles: ", (int)name_len, spec);
		for (size_t i = 0; i < NUM_PROFILES; i++)
			append_list(buf, len, builtin_profiles[i].name, i == 0);
		append_list(buf, len, ")", true);
		return buf;
	}
	for (p = comma; p; p = comma) {
		const char *item = p + 1, *eq;
		size_t item_len, key_len;
		const struct override_key *k = NULL;
		uint8_t v;

		comma = strchr(item, ',');
		item_len = comma ? (size_t)(comma - item) : strlen(item);
		eq = memchr(item, '=', item_len);
		key_len = eq ? (size_t)(eq - item) : item_len;
		for (size_t i = 0; i < sizeof(override_keys) / sizeof(override_keys[0]) && !k; i++)
			if (strlen(override_keys[i].key) == key_len &&
			    !memcmp(override_keys[i].key, item, key_len))
				k = &override_keys[i];
		if (!k) {
			snprintf(buf, len, "unknown model limit '%.*s' (limits: ", (int)key_len, item);
			for (size_t i = 0; i < sizeof(override_keys) / sizeof(override_keys[0]); i++)
				append_list(buf, len, override_keys[i].key, i == 0);
			append_list(buf, len, ")", true);
			return buf;
		}
		if (!eq || parse_log_value(eq + 1, item_len - key_len - 1, &v)) {
			snprintf(buf, len, "model limit '%.*s' needs a value 0..31 (a log2: %s=12)",
				 (int)item_len, item, k->key);
			return buf;
		}
	}
	snprintf(buf, len, "invalid model spec '%s'", spec);
	return buf;
}
