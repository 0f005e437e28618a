/* SPDX-License-Identifier: BSD-3-Clause */
/* mlx5tls-bench tx: the report - rates, ratios, per-WQE costs, cycles per byte and the target
 * lines, from figures bench_tx.c measured in one run. */
#include <inttypes.h>
#include <stdio.h>

#include "bench_tx.h"

static double per_sec(double count, const struct tx_best *b)
{
	return b->ns > 0 ? count * 1e9 / b->ns : 0.0;
}

static double gbits(const struct tx_size_result *r, const struct tx_best *b)
{
	return per_sec((double)r->records * r->rec_size * 8.0, b) / 1e9;
}


static void print_rate(const char *key, const char *label, const struct tx_size_result *r,
		       const struct tx_best *b)
{
	char fmt[96];

	pr_open_object(key);
	snprintf(fmt, sizeof(fmt), "  %s %%s Gbit/s", label);
	pr_double("gbit_s", fmt, gbits(r, b), 2);
	pr_double("records_s", " %s rec/s", per_sec(r->records, b), 0);
	pr_uint("passes", NULL, b->passes);
	pr_close_object();
}

void bench_tx_print_report(const struct txb *b)
{
	const struct tx_size_result *r16 = &b->res[0];
	double tput = bench_ratio(r16->evp.ns, r16->model_lso.ns);
	double wqe = bench_ratio(r16->tls_lib.ns, r16->plain_lib.ns);
	double wqe_lso = bench_ratio(r16->tls_lib_lso.ns, r16->plain_lib_lso.ns);
	bool tput_met = tput >= TX_TARGET_RATIO, wqe_met = wqe > 0 && wqe <= TX_TARGET_WQE;
	bool lso_met = wqe_lso > 0 && wqe_lso <= TX_TARGET_WQE;

	pr_open_object(NULL);
	pr_open_object("device");
	tool_print_device(b->t);
	pr_close_object();
	pr_nl();
	pr_string("benchmark", "%s:", "tx");
	pr_string("suite", " suite %s", b->suite->name);
	pr_uint("mss", " mss %s", TX_MSS);
	pr_uint("batch", " doorbell every %s frames", TX_BATCH);
	pr_string("queue", ", queue %s", "model_sync");
	pr_string("wire", ", wire %s", "discard");
	pr_nl();

	pr_text("throughput on one core (library + device, best pass) vs raw EVP AES-GCM on the "
		"same records:");
	pr_nl();
	pr_open_array("throughput");
	for (size_t i = 0; i < NR_SIZES; i++) {
		const struct tx_size_result *r = &b->res[i];

		pr_open_object(NULL);
		pr_uint("record_size", "  record %5s:", r->rec_size);
		pr_uint("records", NULL, r->records);
		print_rate("evp", "evp", r, &r->evp);
		pr_nl();
		print_rate("model_lso", "               device, LSO", r, &r->model_lso);
		pr_double("ratio_lso", "  ratio %s", bench_ratio(r->evp.ns, r->model_lso.ns), 3);
		pr_nl();
		print_rate("model", "               device, SEND per segment", r, &r->model);
		pr_double("ratio", "  ratio %s", bench_ratio(r->evp.ns, r->model.ns), 3);
		pr_nl();
		print_rate("evp_per_segment", "               evp per segment", r, &r->evp_seg);
		pr_double("ratio_per_segment", "  ratio %s",
			  bench_ratio(r->evp_seg.ns, r->model.ns), 3);
		pr_close_object();
		pr_nl();
	}
	pr_close_array();
	pr_open_object("target_throughput");
	pr_double("min_ratio", "target tx model per 16KiB record (LSO, the device cuts the "
		  "1448-byte segments) >= %sx EVP:", TX_TARGET_RATIO, 2);
	pr_bool("met", NULL, tput_met);
	pr_text(" %s", tput_met ? "met" : "NOT met");
	pr_double("ratio", " (%s)", tput, 3);
	pr_close_object();
	pr_nl();

	pr_text("library cost per in-order data WQE, ns (best pass), timed around the post calls");
	pr_nl();
	pr_text("only: doorbell, device and completions run between timed batches");
	pr_nl();
	pr_text("(\"with device\": whole batches timed, the model's crypto included):");
	pr_nl();
	pr_open_array("wqe_cost");
	for (size_t i = 0; i < NR_SIZES; i++) {
		const struct tx_size_result *r = &b->res[i];
		double n = r->frames > 1 ? r->frames - 1.0 : 1.0;

		pr_open_object(NULL);
		pr_uint("record_size", "  record %5s:", r->rec_size);
		pr_uint("wqes", NULL, r->frames - 1u);
		pr_double("tls_tx_send_ns", " tx_send %s", r->tls_post.ns / n, 1);
		pr_double("qp_send_ns", " qp_send %s", r->plain_post.ns / n, 1);
		pr_double("ratio", "  ratio %s", bench_ratio(r->tls_post.ns, r->plain_post.ns), 3);
		pr_double("ack_ns", "  tx_ack %s ns/call",
			  r->acks ? r->ack.ns / (double)r->acks : 0.0, 1);
		pr_nl();
		pr_open_object("with_device");
		pr_double("tls_ns", "                with device: tls %s", r->tls_full.ns / n, 1);
		pr_double("plain_ns", " plain %s", r->plain_full.ns / n, 1);
		pr_double("ratio", "  ratio %s", bench_ratio(r->tls_full.ns, r->plain_full.ns), 2);
		pr_close_object();
		pr_close_object();
		pr_nl();
	}
	pr_close_array();
	pr_text("library only per WQE, ns (best pass): post + completion polling + tx_ack, the");
	pr_nl();
	pr_text("doorbell (the model's whole work) between the timed parts; the clock's own cost");
	pr_double("timer_ns", " (%s ns a pair, least of 10,000 back-to-back pairs) taken out of each "
		  "interval:", b->timer_ns, 1);
	pr_nl();
	pr_open_array("wqe_cost_library");
	for (size_t i = 0; i < NR_SIZES; i++) {
		const struct tx_size_result *r = &b->res[i];
		double n = r->frames > 1 ? r->frames - 1.0 : 1.0;
		double nl = r->frames_lso > 1 ? r->frames_lso - 1.0 : 1.0;

		pr_open_object(NULL);
		pr_uint("record_size", "  record %5s:", r->rec_size);
		pr_double("tls_segment_ns", " SEND per segment: tls %s", r->tls_lib.ns / n, 1);
		pr_double("plain_segment_ns", " plain %s", r->plain_lib.ns / n, 1);
		pr_double("ratio_segment", " ratio %s", bench_ratio(r->tls_lib.ns, r->plain_lib.ns),
			  3);
		pr_double("tls_lso_ns", ";  LSO, a record per WQE: tls %s", r->tls_lib_lso.ns / nl,
			  1);
		pr_double("plain_lso_ns", " plain %s", r->plain_lib_lso.ns / nl, 1);
		pr_double("ratio_lso", " ratio %s",
			  bench_ratio(r->tls_lib_lso.ns, r->plain_lib_lso.ns), 3);
		pr_close_object();
		pr_nl();
	}
	pr_close_array();
	pr_text("cycles per byte on the sender (library only, LSO, a record per WQE; EVP AES-GCM per "
		"record; OpenSSL SSL_write), TSC");
	pr_double("tsc_ghz", " %s GHz:", b->ghz, 2);
	pr_nl();
	pr_open_array("cycles_per_byte");
	for (size_t i = 0; i < NR_SIZES; i++) {
		const struct tx_size_result *r = &b->res[i];
		double bytes = (double)r->records * r->rec_size;
		double nl = r->frames_lso > 1 ? r->frames_lso - 1.0 : 1.0;
		/* frames_lso - 1 WQEs timed, each one record */
		double lib = r->tls_lib_lso.ns / nl / r->rec_size * b->ghz;
		double evp = bytes > 0 ? r->evp.ns / bytes * b->ghz : 0;
		double ssl = bytes > 0 ? r->ssl_ns / bytes * b->ghz : 0;

		pr_open_object(NULL);
		pr_uint("record_size", "  record %5s:", r->rec_size);
		pr_double("library", " library %s", lib, 3);
		pr_double("evp", "  evp %s", evp, 3);
		pr_double("ssl_write", "  SSL_write %s", ssl, 3);
		pr_double("library_vs_ssl_write", "  library/SSL_write %s", bench_ratio(lib, ssl), 3);
		pr_close_object();
		pr_nl();
	}
	pr_close_array();
	pr_open_object("target_wqe_cost");
	pr_double("max_ratio", "target tx library per-WQE one SEND per segment (16384-byte records) "
		  "<= %sx a plain send:", TX_TARGET_WQE, 2);
	pr_bool("met", NULL, wqe_met);
	pr_text(" %s", wqe_met ? "met" : "NOT met");
	pr_double("ratio", " (%s)", wqe, 3);
	pr_close_object();
	pr_nl();
	pr_open_object("target_wqe_cost_lso");
	pr_double("max_ratio", "target tx library per-WQE LSO (one 16384-byte record per WQE) <= %sx "
		  "a plain send:", TX_TARGET_WQE, 2);
	pr_bool("met", NULL, lso_met);
	pr_text(" %s", lso_met ? "met" : "NOT met");
	pr_double("ratio", " (%s)", wqe_lso, 3);
	pr_close_object();
	pr_nl();
	pr_close_object();
}

/* ---- setup ---- */
