/* SPDX-License-Identifier: BSD-3-Clause */
/* mlx5tls-bench rx: the report - rates, ratios, the library's share, the resync outcome and the
 * target lines, from figures bench_rx.c measured in one run (text or JSON). */
#include <stdio.h>

#include "bench_rx_shared.h"

/* The resync counters, by name (their indexes are the library's business). */
const char *const rx_resync_counters[NR_RCNT] = {
	"rx_tls_resync_req_pkt", "rx_tls_resync_req_start", "rx_tls_resync_req_end",
	"rx_tls_resync_req_skip", "rx_tls_resync_res_ok",
};

static double per_sec(double count, const struct rx_best *b)
{
	return b->ns > 0 ? count * 1e9 / b->ns : 0.0;
}

static void print_rate(const char *key, const char *label, const struct rx_size_result *r,
		       const struct rx_best *b)
{
	char fmt[96];

	pr_open_object(key);
	snprintf(fmt, sizeof(fmt), "  %s %%s Gbit/s", label);
	pr_double("gbit_s", fmt, per_sec((double)r->records * r->rec_size * 8.0, b) / 1e9, 2);
	pr_double("records_s", " %s rec/s", per_sec(r->records, b), 0);
	pr_uint("passes", NULL, b->passes);
	pr_close_object();
}

static void print_resync(const struct rx_size_result *r)
{
	const struct rx_resync_result *z = &r->resync;

	pr_open_object(NULL);
	pr_uint("record_size", "  record %5s:", r->rec_size);
	pr_uint("lost_segment", " segment %s lost", z->lost_segment);
	pr_uint("lost_record", " (header of record %s),", z->lost_record);
	pr_uint("retransmit_after_segments", " back %s segments later", RX_RETX_DELAY);
	pr_nl();
	pr_bool("resumed", NULL, z->resumed);
	if (z->resumed) {
		pr_uint("records_until_resume", "    records until decryption resumes: %s",
			z->until_resume);
		pr_uint("resume_record", " (record %s is the device's again)", z->resume_record);
	} else {
		pr_uint("records_until_resume", "    decryption did not resume: %s records in "
			"software", z->until_resume);
	}
	pr_nl();
	pr_uint("records_software", "    records in software, whole stream %s",
		z->records_software);
	pr_uint("software_after_resume", ", after resuming %s", z->software_after_resume);
	pr_uint("resync_answers", "; resync answers %s", z->resync_answers);
	pr_nl();
	pr_open_object("counters");
	pr_text("    counters:");
	for (size_t i = 0; i < NR_RCNT; i++) {
		char fmt[64];

		snprintf(fmt, sizeof(fmt), " %s %%s", rx_resync_counters[i] + 7);
		pr_uint(rx_resync_counters[i], fmt, z->counters[i]);
	}
	pr_close_object();
	pr_close_object();
	pr_nl();
}

void bench_rx_print_report(const struct rxb *b)
{
	pr_open_object(NULL);
	pr_open_object("device");
	tool_print_device(b->t);
	pr_close_object();
	pr_nl();
	pr_string("benchmark", "%s:", "rx");
	pr_string("suite", " suite %s", b->suite->name);
	pr_uint("mss", " mss %s", RX_MSS);
	pr_uint("batch", " poll every %s frames", RX_BATCH);
	pr_string("wire", ", wire %s", "model_wire_rx");
	pr_nl();

	pr_text("throughput on one core (device model + library, best pass) vs EVP AES-GCM "
		"decryption of the same records:");
	pr_nl();
	pr_open_array("throughput");
	for (size_t i = 0; i < NR_SIZES; i++) {
		const struct rx_size_result *r = &b->res[i];

		pr_open_object(NULL);
		pr_uint("record_size", "  record %5s:", r->rec_size);
		pr_uint("records", NULL, r->records);
		pr_uint("frames", NULL, r->frames);
		print_rate("evp", "evp", r, &r->evp);
		pr_nl();
		print_rate("model", "               device", r, &r->model);
		pr_double("ratio", "  ratio %s", bench_ratio(r->evp.ns, r->model.ns), 3);
		pr_close_object();
		pr_nl();
	}
	pr_close_array();
	{
		const struct rx_size_result *r = &b->res[0]; /* 16 KiB records */
		double ratio = bench_ratio(r->evp.ns, r->model.ns);
		bool met = ratio >= RX_TARGET_MODEL;

		pr_open_object("target_throughput");
		pr_double("min_ratio", "target rx model per 16KiB record >= %sx EVP:",
			  RX_TARGET_MODEL, 2);
		pr_bool("met", NULL, met);
		pr_text(" %s", met ? "met" : "NOT met");
		pr_double("ratio", " (%s)", ratio, 3);
		pr_close_object();
		pr_nl();
	}

	pr_text("library only (the device's work outside the timed region: poll, packet, input, "
		"callback, release) as a share of EVP decryption of the same records:");
	pr_nl();
	pr_open_array("library");
	for (size_t i = 0; i < NR_SIZES; i++) {
		const struct rx_size_result *r = &b->res[i];
		double zc = bench_ratio(r->lib_zc.ns, r->evp.ns);
		double cp = bench_ratio(r->lib_copy.ns, r->evp.ns);

		pr_open_object(NULL);
		pr_uint("record_size", "  record %5s:", r->rec_size);
		pr_double("zero_copy_ns_per_record", " zero copy %s ns/record",
			  r->records ? r->lib_zc.ns / r->records : 0, 1);
		pr_double("zero_copy_of_evp", " (%sx EVP)", zc, 3);
		pr_double("copy_ns_per_record", ", mlx5tls_rx_input %s ns/record",
			  r->records ? r->lib_copy.ns / r->records : 0, 1);
		pr_double("copy_of_evp", " (%sx EVP)", cp, 3);
		pr_close_object();
		pr_nl();
	}
	pr_close_array();
	{
		const struct rx_size_result *r = &b->res[0]; /* 16 KiB records */
		double zc = bench_ratio(r->lib_zc.ns, r->evp.ns);

		pr_text("target rx library per 16KiB record <= 0.10x EVP: %s (%.3f)",
			zc <= 0.10 ? "met" : "NOT met", zc);
		pr_nl();
	}

	pr_text("resync: a segment carrying a record header lost, retransmitted later:");
	pr_nl();
	pr_open_array("resync");
	for (size_t i = 0; i < NR_SIZES; i++)
		print_resync(&b->res[i]);
	pr_close_array();
	pr_close_object();
}
