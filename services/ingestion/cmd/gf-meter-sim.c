/*
 * gf-meter-sim: simulates smart meters posting readings to the ingestion service through
 * the gateway, for demos (`make up` starts a small one) and load tests.
 *
 * N meters (default 2,000) are spread over regions; each has a base load (0.3-3 kW,
 * log-uniform: houses to small shops), a daily shape in the region's local time (night
 * trough, morning and evening peaks), a weekly factor (weekends lower and later) and 3 %
 * noise. Every interval (default 1 s) each meter reports kw (instantaneous power), kwh
 * (energy over the interval) and voltage_v (230 V +- 2 %); all readings of a tick go out as
 * NDJSON batches of at most --batch readings with X-API-Key. A few meters are faulty
 * (--faulty, default 0.5 %, at least one): negative power, 50x spikes, "NaN" strings, a
 * stuck voltage of 0, so rejections and meter anomalies show up on the dashboard.
 *
 *   gf-meter-sim [--url http://127.0.0.1:8080] [--api-key K | --api-key-file F]
 *                [--meters N] [--regions A,B,...] [--interval S] [--seconds S]
 *                [--batch N] [--faulty FRACTION] [--seed N] [--quiet]
 * Environment: GF_GATEWAY_URL, GF_API_KEY (defaults for --url, --api-key).
 * Runs --seconds (0 = until SIGTERM/SIGINT), then prints totals. Exit 0, or 1 when no batch
 * was ever accepted, 2 on bad arguments.
 */
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "core/httpc.h"
#include "core/util.h"

typedef struct meter {
    char id[32];
    int region;
    double base_kw;
    int faulty; /* 0 ok, 1 negative, 2 spikes, 3 NaN, 4 dead voltage */
    double phase;
} meter_t;

typedef struct region {
    char code[17];
    int utc_offset_h; /* standard time; enough for a load shape */
} region_t;

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
    (void)sig;
    stop = 1;
}

static int offset_of(const char *code)
{
    static const struct {
        const char *c;
        int off;
    } t[] = {{"CISO", -8}, {"BPAT", -8}, {"AZPS", -7}, {"ERCO", -6}, {"MISO", -6},
             {"SWPP", -6}, {"ISNE", -5}, {"NYIS", -5}, {"PJM", -5},  {"NYC", -5}};
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++)
        if (!strcmp(t[i].c, code))
            return t[i].off;
    return -6;
}

static double urand(void)
{
    return (rand() + 0.5) / ((double)RAND_MAX + 1.0);
}

static double gauss(void)
{
    return sqrt(-2 * log(urand())) * cos(2 * M_PI * urand());
}

/* Load factor for a local time: night trough ~0.45, morning ~0.9, evening peak ~1.25. */
static double shape(double local_h, int weekday)
{
    double morning = exp(-pow((local_h - (weekday >= 5 ? 9.5 : 7.5)) / 1.5, 2));
    double evening = exp(-pow((local_h - 19.0) / 2.5, 2));
    double day = 0.45 + 0.45 * morning + 0.8 * evening + 0.15 * sin(M_PI * local_h / 24);
    return day * (weekday >= 5 ? 0.92 : 1.0);
}

static void usage(void)
{
    fprintf(stderr,
            "usage: gf-meter-sim [--url URL] [--api-key K | --api-key-file F] [--meters N]\n"
            "       [--regions A,B] [--interval S] [--seconds S] [--batch N] [--faulty F]\n"
            "       [--seed N] [--quiet]\n");
}

int main(int argc, char **argv)
{
    const char *url = getenv("GF_GATEWAY_URL") ? getenv("GF_GATEWAY_URL") : "http://127.0.0.1:8080";
    const char *key = getenv("GF_API_KEY");
    const char *key_file = NULL;
    const char *regions_arg = "CISO,ERCO,ISNE,MISO,NYIS,PJM,SWPP,NYC";
    long nmeters = 2000, seconds = 0, batch = 5000, seed = 42;
    double interval = 1.0, faulty = 0.005;
    int quiet = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--quiet")) {
            quiet = 1;
            continue;
        }
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage();
            return 0;
        }
        if (v == NULL) {
            usage();
            return 2;
        }
        i++;
        if (!strcmp(a, "--url"))
            url = v;
        else if (!strcmp(a, "--api-key"))
            key = v;
        else if (!strcmp(a, "--api-key-file"))
            key_file = v;
        else if (!strcmp(a, "--meters"))
            nmeters = strtol(v, NULL, 10);
        else if (!strcmp(a, "--regions"))
            regions_arg = v;
        else if (!strcmp(a, "--interval"))
            interval = strtod(v, NULL);
        else if (!strcmp(a, "--seconds"))
            seconds = strtol(v, NULL, 10);
        else if (!strcmp(a, "--batch"))
            batch = strtol(v, NULL, 10);
        else if (!strcmp(a, "--faulty"))
            faulty = strtod(v, NULL);
        else if (!strcmp(a, "--seed"))
            seed = strtol(v, NULL, 10);
        else {
            usage();
            return 2;
        }
    }
    if (nmeters < 1 || nmeters > 10000000 || interval < 0.05 || batch < 1 || faulty < 0 ||
        faulty > 1 || seconds < 0) {
        fprintf(stderr, "gf-meter-sim: argument out of range\n");
        return 2;
    }
    char keybuf[256] = "";
    if (key_file) {
        FILE *f = fopen(key_file, "r");
        if (f == NULL || fgets(keybuf, sizeof keybuf, f) == NULL) {
            fprintf(stderr, "gf-meter-sim: cannot read %s\n", key_file);
            if (f)
                fclose(f);
            return 2;
        }
        fclose(f);
        keybuf[strcspn(keybuf, "\r\n")] = '\0';
        key = keybuf;
    }
    char endpoint[512];
    snprintf(endpoint, sizeof endpoint, "%s/api/ingestion/readings", url);

    region_t regions[64];
    size_t nreg = 0;
    char *rbuf = gf_xstrdup(regions_arg);
    for (char *save = NULL, *t = strtok_r(rbuf, ",", &save); t && nreg < 64;
         t = strtok_r(NULL, ",", &save)) {
        snprintf(regions[nreg].code, sizeof regions[nreg].code, "%s", t);
        regions[nreg].utc_offset_h = offset_of(t);
        nreg++;
    }
    free(rbuf);
    if (nreg == 0) {
        fprintf(stderr, "gf-meter-sim: no regions\n");
        return 2;
    }
    srand((unsigned)seed);
    meter_t *m = gf_xcalloc((size_t)nmeters, sizeof *m);
    long nfaulty = (long)ceil(faulty * (double)nmeters);
    if (faulty > 0 && nfaulty < 1)
        nfaulty = 1;
    for (long i = 0; i < nmeters; i++) {
        snprintf(m[i].id, sizeof m[i].id, "sim-%07ld", i);
        m[i].region = (int)(i % (long)nreg);
        m[i].base_kw = exp(log(0.3) + urand() * (log(3.0) - log(0.3)));
        m[i].phase = (urand() - 0.5) * 1.5; /* households differ by up to +-45 min */
        m[i].faulty = i < nfaulty ? 1 + (int)(i % 4) : 0;
    }

    struct sigaction sa = {.sa_handler = on_signal};
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);

    const char *headers[] = {"X-API-Key", key ? key : "", NULL};
    size_t cap = (size_t)(batch < nmeters ? batch : nmeters) * 160 + 64;
    char *body = gf_xmalloc(cap);
    unsigned long long sent = 0, accepted = 0, rejected = 0, duplicate = 0, failed = 0, ok = 0;
    double t0 = gf_now_wall(), next = ceil(t0), last_print = t0;
    if (!quiet)
        printf("gf-meter-sim: %ld meters (%ld faulty) in %zu regions, every %.2f s -> %s\n",
               nmeters, nfaulty, nreg, interval, endpoint);
    fflush(stdout);
    while (!stop && (seconds == 0 || next - t0 < (double)seconds)) {
        double now = gf_now_wall();
        if (now < next) {
            usleep((useconds_t)((next - now) * 1e6));
            continue;
        }
        double tick = next;
        next += interval;
        time_t ts = (time_t)tick;
        int ms = (int)((tick - (double)ts) * 1000);
        char stamp[40];
        gf_time_format(ts, stamp, sizeof stamp); /* YYYY-MM-DDTHH:MM:SSZ */
        stamp[19] = '\0';
        for (long from = 0; from < nmeters && !stop; from += batch) {
            long to = from + batch < nmeters ? from + batch : nmeters;
            size_t o = 0;
            for (long i = from; i < to; i++) {
                const meter_t *mt = &m[i];
                const region_t *rg = &regions[mt->region];
                double lt = fmod((double)ts / 3600.0 + rg->utc_offset_h + mt->phase + 48.0, 24.0);
                int wd = (int)(((ts + rg->utc_offset_h * 3600) / 86400 + 3) % 7); /* 0 = Mon */
                double kw = mt->base_kw * shape(lt, wd) * (1 + 0.03 * gauss());
                if (kw < 0)
                    kw = 0;
                double kwh = kw * interval / 3600.0, volt = 230 * (1 + 0.02 * gauss() / 2);
                char kwtxt[32];
                snprintf(kwtxt, sizeof kwtxt, "%.4f", kw);
                switch (mt->faulty) {
                case 1:
                    snprintf(kwtxt, sizeof kwtxt, "%.4f", -kw);
                    break;
                case 2:
                    if (rand() % 10 == 0)
                        snprintf(kwtxt, sizeof kwtxt, "%.1f", kw * 50 + 1000);
                    break;
                case 3:
                    snprintf(kwtxt, sizeof kwtxt, "\"NaN\"");
                    break;
                case 4:
                    volt = 0;
                    break;
                }
                o += (size_t)snprintf(body + o, cap - o,
                                      "{\"meter_id\":\"%s\",\"ts\":\"%s.%03dZ\",\"region\":\"%s\","
                                      "\"kw\":%s,\"kwh\":%.6f,\"voltage_v\":%.1f}\n",
                                      mt->id, stamp, ms, rg->code, kwtxt, kwh, volt);
            }
            int status = 0;
            char *resp = NULL;
            size_t rlen = 0;
            gf_err_t err = {0};
            sent += (unsigned long long)(to - from);
            if (gf_httpc_fetch("POST", endpoint, headers, "application/x-ndjson", body, o, 10.0,
                               &status, &resp, &rlen, &err) == 0 &&
                status == 200) {
                json_t *j = json_loadb(resp, rlen, 0, NULL);
                accepted += (unsigned long long)json_integer_value(json_object_get(j, "accepted"));
                rejected += (unsigned long long)json_integer_value(json_object_get(j, "rejected"));
                duplicate += (unsigned long long)json_integer_value(
                    json_object_get(j, "duplicate"));
                json_decref(j);
                ok++;
            } else {
                failed++;
                if (!quiet)
                    fprintf(stderr, "gf-meter-sim: POST failed: %s\n",
                            status ? (resp ? resp : "?") : err.message);
            }
            free(resp);
            gf_err_cleanup(&err);
        }
        if (!quiet && gf_now_wall() - last_print >= 10) {
            last_print = gf_now_wall();
            printf("gf-meter-sim: %llu sent, %llu accepted, %llu rejected, %llu failed batches\n",
                   sent, accepted, rejected, failed);
            fflush(stdout);
        }
    }
    printf("gf-meter-sim: done: %llu readings sent, %llu accepted, %llu duplicate, %llu "
           "rejected; %llu batches ok, %llu failed\n",
           sent, accepted, duplicate, rejected, ok, failed);
    free(body);
    free(m);
    return ok > 0 ? 0 : 1;
}
