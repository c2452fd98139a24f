/* bench-report.h: machine-readable benchmark results (--json FILE).
 *
 * A report is the tool's name, the device and a list of rows; each row is a
 * name and numeric fields ("ms", "gflops", ...).  Written as one JSON object:
 * {"tool": ..., "device": ..., "rows": [{"name": ..., "ms": ...}, ...]}. */
#pragma once

#include <glib.h>

typedef struct _BenchReport BenchReport;

BenchReport *bench_report_new (const char *tool, const char *device);
void         bench_report_free (BenchReport *r);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (BenchReport, bench_report_free)

/* Adds a row: name, then (const char *key, double value) pairs, NULL-ended. */
void bench_report_row (BenchReport *r, const char *name, ...) G_GNUC_NULL_TERMINATED;
/* Sets a string field of the report itself (beside "tool" and "device"). */
void bench_report_set (BenchReport *r, const char *key, const char *value);
/* Adds a string field to the last row. */
void bench_report_note (BenchReport *r, const char *key, const char *value);

/* Writes the report to path; does nothing when path is NULL. */
gboolean bench_report_write (BenchReport *r, const char *path, GError **error);
