/* SPDX-License-Identifier: BSD-3-Clause */
/* The TLS engines' OpenSSL contexts, counted: see tls_evp.h. */
#include <errno.h>
#include <stdatomic.h>

#include "sim/tls_evp.h"

static atomic_uint_fast64_t live;

int sim_tls_evp_key(EVP_CIPHER_CTX **c, const EVP_CIPHER *cipher, const uint8_t *key, bool enc)
{
	if (!*c) {
		*c = EVP_CIPHER_CTX_new();
		if (!*c)
			return -ENOMEM;
		atomic_fetch_add_explicit(&live, 1, memory_order_relaxed);
	}
	if ((enc ? EVP_EncryptInit_ex(*c, cipher, NULL, key, NULL)
		 : EVP_DecryptInit_ex(*c, cipher, NULL, key, NULL)) != 1)
		return -EIO;
	return 0;
}

void sim_tls_evp_free(EVP_CIPHER_CTX **c)
{
	if (!*c)
		return;
	EVP_CIPHER_CTX_free(*c); /* cleanses the key schedule */
	*c = NULL;
	atomic_fetch_sub_explicit(&live, 1, memory_order_relaxed);
}

uint64_t sim_tls_evp_live(void)
{
	return atomic_load_explicit(&live, memory_order_relaxed);
}
