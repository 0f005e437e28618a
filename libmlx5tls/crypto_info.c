/* SPDX-License-Identifier: BSD-3-Clause */
/* Validation of the <linux/tls.h> crypto info every DEK is made from. */
#include "mlx5tls_internal.h"

static const char *suite_name(uint32_t suite)
{
	switch (suite) {
	case MLX5TLS_SUITE_TLS12_AES_GCM_128: return "TLS 1.2 AES-GCM-128";
	case MLX5TLS_SUITE_TLS13_AES_GCM_128: return "TLS 1.3 AES-GCM-128";
	case MLX5TLS_SUITE_TLS12_AES_GCM_256: return "TLS 1.2 AES-GCM-256";
	case MLX5TLS_SUITE_TLS13_AES_GCM_256: return "TLS 1.3 AES-GCM-256";
	default: return "?";
	}
}

int crypto_info_view(const struct mlx5tls_device *dev, const struct tls_crypto_info *ci,
		     size_t ci_len, struct key_view *kv)
{
	if (!ci) {
		pr_warn("crypto info is NULL\n");
		return -EINVAL;
	}
	if (ci_len < sizeof(*ci)) {
		pr_warn("crypto info of %zu bytes is shorter than its header\n", ci_len);
		return -EINVAL;
	}
	if (ci->version != TLS_1_2_VERSION && ci->version != TLS_1_3_VERSION) {
		pr_warn("TLS version 0x%04x is not supported (only 1.2 and 1.3)\n", ci->version);
		return -EOPNOTSUPP;
	}
	switch (ci->cipher_type) {
	case TLS_CIPHER_AES_GCM_128: {
		const struct tls12_crypto_info_aes_gcm_128 *c = (const void *)ci;

		if (ci_len != sizeof(*c))
			goto bad_len;
		kv->key = c->key;
		kv->key_len = TLS_CIPHER_AES_GCM_128_KEY_SIZE;
		break;
	}
	case TLS_CIPHER_AES_GCM_256: {
		const struct tls12_crypto_info_aes_gcm_256 *c = (const void *)ci;

		if (ci_len != sizeof(*c))
			goto bad_len;
		kv->key = c->key;
		kv->key_len = TLS_CIPHER_AES_GCM_256_KEY_SIZE;
		break;
	}
	default:
		pr_warn("cipher type %u is not supported (only AES-GCM-128/256)\n", ci->cipher_type);
		return -EOPNOTSUPP;
	}
	kv->suite = mlx5tls_suite_of(ci->version, ci->cipher_type);
	if (!dev->caps.dek_object) {
		pr_warn("%s: the device has no DEK (encryption key) objects\n", dev->attr.name);
		return -EOPNOTSUPP;
	}
	if (!(dev->caps.suites & kv->suite)) {
		pr_warn("%s: the device does not offload %s\n", dev->attr.name, suite_name(kv->suite));
		return -EOPNOTSUPP;
	}
	return 0;

bad_len:
	pr_warn("crypto info length %zu does not match cipher type %u (wrong key length?)\n", ci_len,
		ci->cipher_type);
	return -EINVAL;
}

int crypto_info_fields(const struct tls_crypto_info *ci, size_t ci_len, struct ci_fields *f)
{
	memset(f, 0, sizeof(*f));
	if (!ci || ci_len < sizeof(*ci))
		return -EINVAL;
	if (ci->version != TLS_1_2_VERSION && ci->version != TLS_1_3_VERSION)
		return -EOPNOTSUPP;
	if (ci->cipher_type == TLS_CIPHER_AES_GCM_128) {
		const struct tls12_crypto_info_aes_gcm_128 *c = (const void *)ci;

		if (ci_len != sizeof(*c))
			return -EINVAL;
		f->key = c->key, f->salt = c->salt, f->iv = c->iv, f->rec_seq = c->rec_seq;
		f->key_len = sizeof(c->key);
	} else if (ci->cipher_type == TLS_CIPHER_AES_GCM_256) {
		const struct tls12_crypto_info_aes_gcm_256 *c = (const void *)ci;

		if (ci_len != sizeof(*c))
			return -EINVAL;
		f->key = c->key, f->salt = c->salt, f->iv = c->iv, f->rec_seq = c->rec_seq;
		f->key_len = sizeof(c->key);
	} else {
		return -EOPNOTSUPP;
	}
	f->tls13 = ci->version == TLS_1_3_VERSION;
	for (int i = 0; i < 8; i++)
		f->first_record = f->first_record << 8 | f->rec_seq[i];
	return 0;
}
