/* Analyses raw frames through the fingerqc C ABI and prints one line per frame:
 *
 *     NAME VERDICT CODE...        e.g.  "scene.nv21.raw reject too_far too_blurry"
 *
 * Usage: analyze [-j JSON_DIR] FILE.raw...
 *
 * A raw file (written by `cargo run --example dump_raw --features capi`) is a 24-byte header
 * ("FQCRAW01", then width, height, pixel format and 0 as little-endian uint32) followed by the
 * planes, tightly packed. Each frame is analysed twice:
 *   1. with fingerqc_analyze, straight from the file's buffer (tight strides);
 *   2. with fingerqc_analyze_into and one reused report, from a copy whose rows are padded to
 *      an odd stride and whose planes each end flush against an unreadable page, so a read
 *      past frame->lengths[i] crashes instead of going unnoticed.
 * Both must give the same verdict, reasons and JSON (up to the timing field). With -j, the
 * JSON of each report is written to JSON_DIR/NAME.c.json for comparison with the Rust API's.
 * Every accessor is exercised on the way. Exit status 1 on any failure. */

#include "fingerqc.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static int failures = 0;

#define FAIL(...)                                                                          \
    do {                                                                                   \
        fprintf(stderr, "analyze.c:%d: ", __LINE__);                                       \
        fprintf(stderr, __VA_ARGS__);                                                      \
        fputc('\n', stderr);                                                               \
        failures++;                                                                        \
    } while (0)

/* Runs a fingerqc call; on error prints the status and fingerqc_last_error, counts a failure
 * and evaluates to 0. */
#define OK(call) ok_status((call), #call, __LINE__)

static int ok_status(fingerqc_status status, const char *what, int line) {
    if (status == FINGERQC_STATUS_OK) return 1;
    char msg[512];
    fingerqc_last_error(msg, sizeof msg);
    fprintf(stderr, "analyze.c:%d: %s -> %s: %s\n", line, what, fingerqc_status_str(status),
            msg);
    failures++;
    return 0;
}

typedef struct {
    uint32_t width, height, format;
    uint8_t *bytes; /* whole file */
    size_t size;    /* of the pixel data after the header */
} raw_file;

static uint32_t le32(const uint8_t *p) {
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static int read_raw(const char *path, raw_file *out) {
    FILE *f = fopen(path, "rb");
    if (!f) {
        FAIL("cannot open %s", path);
        return 0;
    }
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    if (n < 24) {
        fclose(f);
        FAIL("%s: too short for a header", path);
        return 0;
    }
    out->bytes = malloc((size_t)n);
    if (!out->bytes || fread(out->bytes, 1, (size_t)n, f) != (size_t)n) {
        fclose(f);
        free(out->bytes);
        FAIL("%s: read failed", path);
        return 0;
    }
    fclose(f);
    if (memcmp(out->bytes, "FQCRAW01", 8) != 0) {
        free(out->bytes);
        FAIL("%s: not a FQCRAW01 file", path);
        return 0;
    }
    out->width = le32(out->bytes + 8);
    out->height = le32(out->bytes + 12);
    out->format = le32(out->bytes + 16);
    out->size = (size_t)n - 24;
    return 1;
}

/* Row bytes and row count of plane `i` of a format; 0 rows when the format has no such plane. */
static void plane_shape(uint32_t format, uint32_t w, uint32_t h, int i, size_t *row,
                        size_t *rows) {
    *row = 0;
    *rows = 0;
    switch (format) {
    case FINGERQC_PIXEL_FORMAT_GRAY8:
    case FINGERQC_PIXEL_FORMAT_RGB8:
    case FINGERQC_PIXEL_FORMAT_RGBA8:
    case FINGERQC_PIXEL_FORMAT_BGRA8:
        if (i == 0) {
            size_t bpp = format == FINGERQC_PIXEL_FORMAT_GRAY8  ? 1
                         : format == FINGERQC_PIXEL_FORMAT_RGB8 ? 3
                                                                : 4;
            *row = (size_t)w * bpp;
            *rows = h;
        }
        break;
    case FINGERQC_PIXEL_FORMAT_NV21:
    case FINGERQC_PIXEL_FORMAT_NV12:
        if (i == 0) *row = w, *rows = h;
        if (i == 1) *row = w, *rows = h / 2;
        break;
    case FINGERQC_PIXEL_FORMAT_I420:
        if (i == 0) *row = w, *rows = h;
        if (i >= 1) *row = w / 2, *rows = h / 2;
        break;
    default:
        break;
    }
}

/* The frame as stored in the file: planes one after another, no row padding. */
static int tight_frame(const raw_file *raw, fingerqc_frame *f) {
    memset(f, 0, sizeof *f);
    f->width = raw->width;
    f->height = raw->height;
    f->format = raw->format;
    const uint8_t *p = raw->bytes + 24;
    size_t used = 0;
    for (int i = 0; i < 3; i++) {
        size_t row, rows;
        plane_shape(raw->format, raw->width, raw->height, i, &row, &rows);
        if (rows == 0) continue;
        f->planes[i] = p + used;
        f->strides[i] = row;
        f->lengths[i] = row * rows;
        used += row * rows;
    }
    if (used != raw->size) {
        FAIL("file holds %zu pixel bytes, format %u at %ux%u needs %zu", raw->size, raw->format,
             raw->width, raw->height, used);
        return 0;
    }
    return 1;
}

/* A copy of one plane with rows `pad` bytes longer than needed (padding filled with 0xA5) and
 * no padding after the last row, placed so that its last byte is the last one before a
 * PROT_NONE page. */
typedef struct {
    uint8_t *map;
    size_t map_len;
} guarded;

static const uint8_t *guarded_copy(const uint8_t *src, size_t row, size_t rows, size_t pad,
                                   size_t *stride, size_t *len, guarded *g) {
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    *stride = row + pad;
    *len = *stride * (rows - 1) + row;
    size_t data_pages = (*len + page - 1) / page;
    g->map_len = (data_pages + 1) * page;
    g->map = mmap(NULL, g->map_len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (g->map == MAP_FAILED) {
        g->map = NULL;
        FAIL("mmap failed");
        return NULL;
    }
    uint8_t *guard_page = g->map + data_pages * page;
    if (mprotect(guard_page, page, PROT_NONE) != 0) FAIL("mprotect failed");
    uint8_t *dst = guard_page - *len;
    memset(dst, 0xA5, *len);
    for (size_t y = 0; y < rows; y++) memcpy(dst + y * *stride, src + y * row, row);
    return dst;
}

/* "VERDICT CODE..." of a report, exercising every accessor on the way. */
static void describe(const fingerqc_report *r, const fingerqc_frame *frame, char *out,
                     size_t cap) {
    out[0] = '\0';
    fingerqc_verdict verdict = 99;
    size_t n_reasons = 0;
    if (!OK(fingerqc_report_verdict(r, &verdict)) || !OK(fingerqc_report_reason_count(r, &n_reasons)))
        return;
    if (verdict != FINGERQC_VERDICT_ACCEPT && verdict != FINGERQC_VERDICT_REJECT)
        FAIL("verdict %u out of range", verdict);
    if ((verdict == FINGERQC_VERDICT_ACCEPT) != (n_reasons == 0))
        FAIL("verdict %u with %zu reasons", verdict, n_reasons);
    size_t used = (size_t)snprintf(out, cap, "%s", verdict == FINGERQC_VERDICT_ACCEPT ? "accept" : "reject");
    for (size_t i = 0; i < n_reasons; i++) {
        uint32_t code = 0;
        float value = NAN, threshold = NAN;
        if (!OK(fingerqc_report_reason_code(r, i, &code))) continue;
        OK(fingerqc_report_reason_value(r, i, &value));
        OK(fingerqc_report_reason_threshold(r, i, &threshold));
        if (!isfinite(value) || !isfinite(threshold)) FAIL("reason %zu: value or threshold not finite", i);
        const char *name = fingerqc_reason_code_str(code);
        if (!name) {
            FAIL("reason code %u has no name", code);
            name = "?";
        }
        if (used < cap) used += (size_t)snprintf(out + used, cap - used, " %s", name);
        for (uint32_t lang = FINGERQC_LANGUAGE_ENGLISH; lang <= FINGERQC_LANGUAGE_ARABIC; lang++) {
            size_t need = 0;
            /* Length query, then the copy. */
            if (fingerqc_report_reason_message(r, i, lang, NULL, 0, &need) !=
                FINGERQC_STATUS_BUFFER_TOO_SMALL)
                FAIL("length query of message %zu did not say BUFFER_TOO_SMALL", i);
            char *msg = malloc(need + 1);
            size_t got = 0;
            if (msg && OK(fingerqc_report_reason_message(r, i, lang, msg, need + 1, &got))) {
                if (got != need || strlen(msg) != need || need == 0)
                    FAIL("message %zu: length %zu, query said %zu", i, strlen(msg), need);
                /* Arabic text is multi-byte UTF-8; English is ASCII. */
                int high = 0;
                for (size_t k = 0; k < need; k++) high |= (unsigned char)msg[k] >= 0x80;
                if (high != (lang == FINGERQC_LANGUAGE_ARABIC))
                    FAIL("message %zu in language %u: unexpected script", i, lang);
            }
            free(msg);
        }
    }
    uint32_t counted = 0;
    fingerqc_hand hand = 99;
    float ppi = -1;
    bool has_ppi = true;
    size_t entries = 0;
    OK(fingerqc_report_finger_count(r, &counted));
    OK(fingerqc_report_hand(r, &hand));
    OK(fingerqc_report_estimated_ppi(r, &ppi, &has_ppi));
    OK(fingerqc_report_finger_entry_count(r, &entries));
    if (hand > FINGERQC_HAND_UNKNOWN) FAIL("hand %u out of range", hand);
    if (!has_ppi && ppi != 0.0f) FAIL("no ppi estimate but ppi %f", ppi);
    if (has_ppi && !(ppi > 0.0f)) FAIL("ppi estimate %f", ppi);
    if (entries > counted) FAIL("%zu finger entries for %u counted fingers", entries, counted);
    for (size_t i = 0; i < entries; i++) {
        fingerqc_rect box;
        uint8_t quality = 255;
        fingerqc_finger_name name = 99;
        OK(fingerqc_report_finger_bbox(r, i, &box));
        OK(fingerqc_report_finger_quality(r, i, &quality));
        OK(fingerqc_report_finger_name(r, i, &name));
        if ((uint64_t)box.x + box.width > frame->width || (uint64_t)box.y + box.height > frame->height)
            FAIL("finger %zu box outside the frame", i);
        if (quality > 100) FAIL("finger %zu quality %u", i, quality);
        if (name > FINGERQC_FINGER_NAME_UNKNOWN) FAIL("finger %zu name %u", i, name);
    }
}

/* The report as JSON (length query, then copy); the caller frees it. */
static char *report_json(const fingerqc_report *r) {
    size_t need = 0;
    if (fingerqc_report_json(r, NULL, 0, &need) != FINGERQC_STATUS_BUFFER_TOO_SMALL || need == 0) {
        FAIL("JSON length query failed");
        return NULL;
    }
    char *json = malloc(need + 1);
    size_t got = 0;
    if (!json || !OK(fingerqc_report_json(r, json, need + 1, &got)) || got != need ||
        strlen(json) != need || json[0] != '{' || json[need - 1] != '}') {
        FAIL("JSON copy failed or malformed");
        free(json);
        return NULL;
    }
    return json;
}

/* Length of the JSON before the timing field, which differs between two runs. */
static size_t untimed_prefix(const char *json) {
    const char *t = strstr(json, "\"elapsed_us\":");
    return t ? (size_t)(t - json) : strlen(json);
}

static const char *base_name(const char *path) {
    const char *s = strrchr(path, '/');
    return s ? s + 1 : path;
}

int main(int argc, char **argv) {
    const char *json_dir = NULL;
    int first = 1;
    if (argc > 2 && strcmp(argv[1], "-j") == 0) {
        json_dir = argv[2];
        first = 3;
    }
    if (first >= argc) {
        fprintf(stderr, "usage: %s [-j JSON_DIR] FILE.raw...\n", argv[0]);
        return 2;
    }
    fingerqc_analyzer *analyzer = NULL;
    fingerqc_report *reused = NULL;
    if (!OK(fingerqc_analyzer_new(NULL, &analyzer)) || !OK(fingerqc_report_new(&reused))) return 1;

    for (int a = first; a < argc; a++) {
        raw_file raw;
        fingerqc_frame tight;
        if (!read_raw(argv[a], &raw)) continue;
        if (!tight_frame(&raw, &tight)) {
            free(raw.bytes);
            continue;
        }
        const char *name = base_name(argv[a]);

        /* 1. Straight from the file's buffer. */
        fingerqc_report *report = NULL;
        char line[1024] = "", line2[1024] = "";
        char *json = NULL, *json2 = NULL;
        if (OK(fingerqc_analyze(analyzer, &tight, &report))) {
            describe(report, &tight, line, sizeof line);
            json = report_json(report);
        }
        fingerqc_report_free(report);

        /* 2. Padded rows, guarded ends, reused report. */
        fingerqc_frame padded = tight;
        guarded g[3] = {{0}};
        for (int i = 0; i < 3; i++) {
            size_t row, rows;
            plane_shape(tight.format, tight.width, tight.height, i, &row, &rows);
            if (rows == 0) continue;
            padded.planes[i] = guarded_copy(tight.planes[i], row, rows, 7 + 2 * (size_t)i,
                                            &padded.strides[i], &padded.lengths[i], &g[i]);
        }
        if (OK(fingerqc_analyze_into(analyzer, &padded, reused))) {
            describe(reused, &padded, line2, sizeof line2);
            json2 = report_json(reused);
        }
        for (int i = 0; i < 3; i++)
            if (g[i].map) munmap(g[i].map, g[i].map_len);

        if (strcmp(line, line2) != 0) FAIL("%s: tight says '%s', padded says '%s'", name, line, line2);
        if (json && json2) {
            size_t n = untimed_prefix(json);
            if (n != untimed_prefix(json2) || memcmp(json, json2, n) != 0)
                FAIL("%s: JSON differs between the tight and the padded frame", name);
        }
        if (json && json_dir) {
            char path[4096];
            snprintf(path, sizeof path, "%s/%s.c.json", json_dir, name);
            FILE *f = fopen(path, "wb");
            if (!f || fputs(json, f) < 0) FAIL("cannot write %s", path);
            if (f) fclose(f);
        }
        printf("%s %s\n", name, line);
        free(json);
        free(json2);
        free(raw.bytes);
    }
    fingerqc_report_free(reused);
    fingerqc_analyzer_free(analyzer);
    if (failures) fprintf(stderr, "analyze.c: %d failures\n", failures);
    return failures ? 1 : 0;
}
