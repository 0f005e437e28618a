/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The OpenSSL cipher contexts of the model's TLS engines (tls_tx.c; tls_rx_rec.c), made and keyed
 * when a context first needs them - its first record, or on RX the first R5 restore - and not
 * when its TIS or TIR gets static params (issue 10: the engine state of a TIS/TIR is allocated
 * only while a context uses it). A connection that never carries a record holds none. Counted
 * process-wide, so that tests can see that an idle context holds none.
 */
#ifndef MLX5TLS_SIM_TLS_EVP_H
#define MLX5TLS_SIM_TLS_EVP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

/* Key *c (made first if NULL) with cipher and key (cipher's key length), encrypting or
 * decrypting, no IV yet. 0, -ENOMEM (no context made, *c stays NULL) or -EIO (OpenSSL refused;
 * *c is kept, not keyed). */
int sim_tls_evp_key(EVP_CIPHER_CTX **c, const EVP_CIPHER *cipher, const uint8_t *key, bool enc);
/* Free *c (OpenSSL cleanses the key schedule) and set it NULL. */
void sim_tls_evp_free(EVP_CIPHER_CTX **c);
/* Contexts the engines hold now, in this process (all devices). */
uint64_t sim_tls_evp_live(void);

#endif /* MLX5TLS_SIM_TLS_EVP_H */
