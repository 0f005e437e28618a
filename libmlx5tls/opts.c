/* SPDX-License-Identifier: BSD-3-Clause */
#include "mlx5tls_internal.h"

/*
 * libbpf's rule: sz must at least cover the sz member itself; a caller built against a newer
 * header may pass a bigger struct, which is fine only if every byte we do not know is zero.
 */
bool opts_valid(const void *opts, size_t opts_sz, size_t known_sz, const char *type_name)
{
	const uint8_t *p = opts;

	if (!opts)
		return true;
	if (opts_sz < sizeof(size_t)) {
		pr_warn("%s: sz %zu is too small\n", type_name, opts_sz);
		return false;
	}
	for (size_t i = known_sz; i < opts_sz; i++) {
		if (p[i]) {
			pr_warn("%s: unknown non-zero option at byte %zu\n", type_name, i);
			return false;
		}
	}
	return true;
}
