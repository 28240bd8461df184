/* report_csv.c - a report model's CSV table (RFC 4180, CRLF line ends, a
 * header row), for spreadsheets: one row per changed field, affected focal
 * point, clique or object, as each kind defines it.
 */
#include "report/report_int.h"

#include <stdlib.h>

int rp_render_csv(char **out, const json_t *model)
{
	const json_t *csv = json_object_get(model, "csv");
	struct cal_buf b = { 0 };
	size_t i, j;
	json_t *c, *row, *v;

	*out = NULL;
	json_array_foreach(json_object_get(csv, "columns"), i, c) {
		if (i)
			cal_buf_str(&b, ",");
		rp_csv(&b, json_string_value(c));
	}
	cal_buf_str(&b, "\r\n");
	json_array_foreach(json_object_get(csv, "rows"), i, row) {
		json_array_foreach(row, j, v) {
			char *text = rp_text(v);

			if (!text)
				b.oom = true;
			if (j)
				cal_buf_str(&b, ",");
			rp_csv(&b, text);
			free(text);
		}
		cal_buf_str(&b, "\r\n");
	}
	*out = cal_buf_take(&b);
	return *out ? 0 : CAL_ENOMEM;
}
