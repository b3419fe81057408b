/*
 * ing_eia.h - EIA API v2 puller core for hourly demand by balancing authority (route
 * electricity/rto/region-data): the request URL and the response parser. No network here;
 * the service's puller (later) fetches pages with the core HTTP client and feeds the rows
 * to the same upsert as the CSV import (ing_demand_build).
 *
 * EIA's documented response: {"response":{"total":N|"N","data":[{"period":"YYYY-MM-DDTHH",
 * "respondent":"PJM","type":"D","value":"88395"|88395|null,...}],...},"request":{...}}.
 * `period` is UTC and labels the END of the hour; rows are returned with the hour START
 * (period - 1 h), as the storage contract wants. Rows of another type than "D" and rows
 * without a value are skipped and counted. Paging: offset/length (at most 5000 per page)
 * until offset >= total. Errors come back as {"error":"text","code":400} or
 * {"error":{"code":"API_KEY_INVALID","message":"..."}}.
 *
 * Ownership: ing_eia_url returns a malloc'd string; ing_eia_page_t owns its rows
 * (ing_eia_page_free).
 */
#ifndef GF_INGESTION_ING_EIA_H
#define GF_INGESTION_ING_EIA_H

#include "core/err.h"
#include "ing_demand.h"

#include <stddef.h>
#include <stdint.h>

#define ING_EIA_BASE_URL "https://api.eia.gov/v2/electricity/rto/region-data/data/"
#define ING_EIA_MAX_LENGTH 5000

typedef struct ing_eia_req {
    const char *base_url;           /* NULL: ING_EIA_BASE_URL */
    const char *api_key;            /* required */
    const char *const *respondents; /* region codes; may be empty (all) */
    size_t nrespondents;
    int64_t start_hour, end_hour; /* UTC hour-start epochs of the first/last hour wanted;
                                     0 to leave open */
    size_t offset, length;        /* length 0: ING_EIA_MAX_LENGTH */
} ing_eia_req_t;

/* Request URL (frequency=hourly, data[0]=value, facets[respondent][]=..., facets[type][]=D,
 * start/end as EIA hour-ending "YYYY-MM-DDTHH", sort by period asc, offset, length), every
 * value percent-encoded. Caller frees. NULL with GF_EINVAL "bad_request" (no api_key, bad
 * region code, length > 5000). */
char *ing_eia_url(const ing_eia_req_t *req, gf_err_t *err);

typedef struct ing_eia_page {
    ing_demand_row_t *rows;
    size_t n;
    size_t total;   /* response.total: rows matching the query, all pages */
    size_t skipped; /* rows not type D, or without a value */
} ing_eia_page_t;

/* Parse one response body. Returns 0; GF_EUNAUTH "eia_api_key" (key refused);
 * GF_EUNAVAIL "eia_error" (an error object from EIA); GF_EINVAL "eia_bad_response" (not
 * the documented shape: bad JSON, no response.data, a row with a bad period, respondent
 * or value, with its index). On error *out is empty. */
int ing_eia_parse(const char *body, size_t len, ing_eia_page_t *out, gf_err_t *err);
void ing_eia_page_free(ing_eia_page_t *p);

#endif
