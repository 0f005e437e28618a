/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tls_server: the server's state, g - its SSL context, the lwIP netif, the live connections and
 * the totals of the summary - shared by the files of tls_server_shared.h.
 */
#include "tls_server_shared.h"

struct server_state g;
