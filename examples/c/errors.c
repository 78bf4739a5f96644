/* The error paths of the fingerqc C ABI, from C: each bad call must return the documented
 * status and leave a readable message in fingerqc_last_error that names the problem.
 * Prints one line per failed check and ends with "N passed, M failed"; exit status 1 on any
 * failure. */

#include "fingerqc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int passed = 0, failed = 0;

/* Checks that `call` returns `want` and that the last error message contains `needle`. */
#define EXPECT(call, want, needle) expect((call), (want), (needle), #call, __LINE__)

static void expect(fingerqc_status got, fingerqc_status want, const char *needle,
                   const char *what, int line) {
    char msg[512] = "";
    size_t n = fingerqc_last_error(msg, sizeof msg);
    int good = got == want;
    if (good && want != FINGERQC_STATUS_OK)
        good = n > 0 && n == strlen(msg) && strstr(msg, needle) != NULL;
    if (good) {
        passed++;
    } else {
        failed++;
        fprintf(stderr, "errors.c:%d: %s\n    returned %s (want %s), message: \"%s\" (want it to mention \"%s\")\n",
                line, what, fingerqc_status_str(got), fingerqc_status_str(want), msg, needle);
    }
}

static void check(int cond, const char *what, int line) {
    if (cond) {
        passed++;
    } else {
        failed++;
        fprintf(stderr, "errors.c:%d: %s\n", line, what);
    }
}
#define CHECK(cond) check((cond), #cond, __LINE__)

static fingerqc_frame gray_frame(const uint8_t *pixels, uint32_t w, uint32_t h) {
    fingerqc_frame f;
    memset(&f, 0, sizeof f);
    f.width = w;
    f.height = h;
    f.format = FINGERQC_PIXEL_FORMAT_GRAY8;
    f.planes[0] = pixels;
    f.strides[0] = w;
    f.lengths[0] = (size_t)w * h;
    return f;
}

int main(void) {
    enum { W = 64, H = 48 };
    static uint8_t pixels[W * H * 4];
    memset(pixels, 128, sizeof pixels);
    char buf[256];
    size_t n = 0;

    /* Before any failure the message is empty. */
    CHECK(fingerqc_last_error(buf, sizeof buf) == 0 && buf[0] == '\0');
    CHECK(fingerqc_last_error(NULL, 0) == 0);

    fingerqc_analyzer *analyzer = NULL;
    EXPECT(fingerqc_analyzer_new(NULL, &analyzer), FINGERQC_STATUS_OK, "");
    fingerqc_report *report = NULL;
    fingerqc_frame frame = gray_frame(pixels, W, H);

    /* --- NULL pointers everywhere --- */
    EXPECT(fingerqc_analyzer_new(NULL, NULL), FINGERQC_STATUS_NULL_POINTER, "`out`");
    EXPECT(fingerqc_analyze(NULL, &frame, &report), FINGERQC_STATUS_NULL_POINTER, "`analyzer`");
    CHECK(report == NULL);
    EXPECT(fingerqc_analyze(analyzer, NULL, &report), FINGERQC_STATUS_NULL_POINTER, "`frame`");
    EXPECT(fingerqc_analyze(analyzer, &frame, NULL), FINGERQC_STATUS_NULL_POINTER, "`out`");
    EXPECT(fingerqc_analyze_into(analyzer, &frame, NULL), FINGERQC_STATUS_NULL_POINTER, "`report`");
    EXPECT(fingerqc_report_new(NULL), FINGERQC_STATUS_NULL_POINTER, "`out`");
    fingerqc_frame no_plane = frame;
    no_plane.planes[0] = NULL;
    EXPECT(fingerqc_analyze(analyzer, &no_plane, &report), FINGERQC_STATUS_NULL_POINTER,
           "frame->planes[0]");
    fingerqc_frame nv21 = frame;
    nv21.format = FINGERQC_PIXEL_FORMAT_NV21;
    EXPECT(fingerqc_analyze(analyzer, &nv21, &report), FINGERQC_STATUS_NULL_POINTER,
           "frame->planes[1]");
    {
        fingerqc_verdict v;
        size_t count;
        uint32_t u32;
        float f;
        bool has;
        fingerqc_hand hand;
        fingerqc_rect rect;
        uint8_t q;
        fingerqc_finger_name name;
        EXPECT(fingerqc_report_verdict(NULL, &v), FINGERQC_STATUS_NULL_POINTER, "`report`");
        EXPECT(fingerqc_report_reason_count(NULL, &count), FINGERQC_STATUS_NULL_POINTER, "`report`");
        EXPECT(fingerqc_report_reason_code(NULL, 0, &u32), FINGERQC_STATUS_NULL_POINTER, "`report`");
        EXPECT(fingerqc_report_reason_value(NULL, 0, &f), FINGERQC_STATUS_NULL_POINTER, "`report`");
        EXPECT(fingerqc_report_reason_threshold(NULL, 0, &f), FINGERQC_STATUS_NULL_POINTER, "`report`");
        EXPECT(fingerqc_report_reason_message(NULL, 0, 0, buf, sizeof buf, &n),
               FINGERQC_STATUS_NULL_POINTER, "`report`");
        EXPECT(fingerqc_report_finger_count(NULL, &u32), FINGERQC_STATUS_NULL_POINTER, "`report`");
        EXPECT(fingerqc_report_hand(NULL, &hand), FINGERQC_STATUS_NULL_POINTER, "`report`");
        EXPECT(fingerqc_report_estimated_ppi(NULL, &f, &has), FINGERQC_STATUS_NULL_POINTER, "`report`");
        EXPECT(fingerqc_report_finger_entry_count(NULL, &count), FINGERQC_STATUS_NULL_POINTER, "`report`");
        EXPECT(fingerqc_report_finger_name(NULL, 0, &name), FINGERQC_STATUS_NULL_POINTER, "`report`");
        EXPECT(fingerqc_report_finger_bbox(NULL, 0, &rect), FINGERQC_STATUS_NULL_POINTER, "`report`");
        EXPECT(fingerqc_report_finger_quality(NULL, 0, &q), FINGERQC_STATUS_NULL_POINTER, "`report`");
        EXPECT(fingerqc_report_json(NULL, buf, sizeof buf, &n), FINGERQC_STATUS_NULL_POINTER, "`report`");

        /* A real report, NULL outputs. */
        EXPECT(fingerqc_analyze(analyzer, &frame, &report), FINGERQC_STATUS_OK, "");
        CHECK(report != NULL);
        EXPECT(fingerqc_report_verdict(report, NULL), FINGERQC_STATUS_NULL_POINTER, "`out`");
        EXPECT(fingerqc_report_reason_count(report, NULL), FINGERQC_STATUS_NULL_POINTER, "`out`");
        EXPECT(fingerqc_report_reason_code(report, 0, NULL), FINGERQC_STATUS_NULL_POINTER, "`out`");
        EXPECT(fingerqc_report_finger_count(report, NULL), FINGERQC_STATUS_NULL_POINTER, "`out`");
        EXPECT(fingerqc_report_hand(report, NULL), FINGERQC_STATUS_NULL_POINTER, "`out`");
        EXPECT(fingerqc_report_estimated_ppi(report, NULL, &has), FINGERQC_STATUS_NULL_POINTER, "`ppi`");
        EXPECT(fingerqc_report_estimated_ppi(report, &f, NULL), FINGERQC_STATUS_NULL_POINTER, "`has_value`");
        EXPECT(fingerqc_report_finger_entry_count(report, NULL), FINGERQC_STATUS_NULL_POINTER, "`out`");
        EXPECT(fingerqc_report_json(report, NULL, 16, &n), FINGERQC_STATUS_NULL_POINTER, "`buf`");

        /* --- Indexes, languages, short buffers --- */
        /* A uniform gray frame has no hand: exactly one reason, no_hand. */
        EXPECT(fingerqc_report_reason_count(report, &count), FINGERQC_STATUS_OK, "");
        CHECK(count == 1);
        EXPECT(fingerqc_report_reason_code(report, 0, &u32), FINGERQC_STATUS_OK, "");
        CHECK(u32 == FINGERQC_REASON_CODE_NO_HAND);
        CHECK(strcmp(fingerqc_reason_code_str(u32), "no_hand") == 0);
        CHECK(fingerqc_reason_code_str(1000) == NULL);
        EXPECT(fingerqc_report_reason_code(report, count, &u32), FINGERQC_STATUS_INDEX_OUT_OF_RANGE,
               "reason index 1 is out of range");
        EXPECT(fingerqc_report_finger_bbox(report, 0, &rect), FINGERQC_STATUS_INDEX_OUT_OF_RANGE,
               "finger index 0");
        EXPECT(fingerqc_report_reason_message(report, 0, 7, buf, sizeof buf, &n),
               FINGERQC_STATUS_INVALID_ARGUMENT, "`language`");
        char tiny[8];
        memset(tiny, 'x', sizeof tiny);
        EXPECT(fingerqc_report_reason_message(report, 0, FINGERQC_LANGUAGE_ENGLISH, tiny, sizeof tiny, &n),
               FINGERQC_STATUS_BUFFER_TOO_SMALL, "too small");
        CHECK(n > sizeof tiny && strlen(tiny) == sizeof tiny - 1); /* truncated, NUL-terminated */
        CHECK(strncmp(tiny, "No hand", 7) == 0);
        /* Arabic letters are 2 bytes in UTF-8: a 4-byte buffer has room for 3 bytes of text,
         * which is one letter and half of the next; only the whole letter is copied. */
        char ar[4];
        EXPECT(fingerqc_report_reason_message(report, 0, FINGERQC_LANGUAGE_ARABIC, ar, sizeof ar, &n),
               FINGERQC_STATUS_BUFFER_TOO_SMALL, "too small");
        CHECK(strlen(ar) == 2);
        EXPECT(fingerqc_report_json(report, buf, 2, &n), FINGERQC_STATUS_BUFFER_TOO_SMALL, "too small");
        CHECK(buf[0] == '{' && buf[1] == '\0' && n > 100);
        fingerqc_report_free(report);
        report = NULL;
    }

    /* --- Bad frames --- */
    fingerqc_frame bad = frame;
    bad.strides[0] = W - 1; /* stride shorter than the row */
    EXPECT(fingerqc_analyze(analyzer, &bad, &report), FINGERQC_STATUS_INVALID_FRAME, "stride 63");
    CHECK(report == NULL);
    bad = frame;
    bad.format = FINGERQC_PIXEL_FORMAT_RGB8; /* stride W is shorter than W * 3 */
    EXPECT(fingerqc_analyze(analyzer, &bad, &report), FINGERQC_STATUS_INVALID_FRAME, "shorter than a row of 192");
    bad = frame;
    bad.width = 0; /* zero-size */
    EXPECT(fingerqc_analyze(analyzer, &bad, &report), FINGERQC_STATUS_INVALID_FRAME, "0x48 is empty");
    bad = frame;
    bad.height = 0;
    EXPECT(fingerqc_analyze(analyzer, &bad, &report), FINGERQC_STATUS_INVALID_FRAME, "empty");
    bad = frame;
    bad.format = 99; /* unknown pixel format */
    EXPECT(fingerqc_analyze(analyzer, &bad, &report), FINGERQC_STATUS_INVALID_FRAME, "unknown pixel format value 99");
    bad = frame;
    bad.lengths[0] = (size_t)W * H - 1; /* short buffer */
    EXPECT(fingerqc_analyze(analyzer, &bad, &report), FINGERQC_STATUS_INVALID_FRAME, "has 3071 bytes, needs at least 3072");
    bad = gray_frame(pixels, W - 1, H); /* odd width for a 4:2:0 format */
    bad.format = FINGERQC_PIXEL_FORMAT_I420;
    bad.planes[1] = bad.planes[2] = pixels;
    EXPECT(fingerqc_analyze(analyzer, &bad, &report), FINGERQC_STATUS_INVALID_FRAME, "even");
    bad = frame;
    bad.format = FINGERQC_PIXEL_FORMAT_NV12; /* chroma plane too short */
    bad.planes[1] = pixels;
    bad.strides[1] = W;
    bad.lengths[1] = W * H / 2 - 1;
    EXPECT(fingerqc_analyze(analyzer, &bad, &report), FINGERQC_STATUS_INVALID_FRAME, "chroma plane buffer");
    bad = frame;
    bad.lengths[0] = (size_t)-1; /* a length no buffer can have */
    EXPECT(fingerqc_analyze(analyzer, &bad, &report), FINGERQC_STATUS_INVALID_ARGUMENT, "frame->lengths[0]");

    /* analyze_into leaves the report empty on failure. */
    fingerqc_report *into = NULL;
    EXPECT(fingerqc_report_new(&into), FINGERQC_STATUS_OK, "");
    EXPECT(fingerqc_analyze_into(analyzer, &frame, into), FINGERQC_STATUS_OK, "");
    bad = frame;
    bad.format = 99;
    EXPECT(fingerqc_analyze_into(analyzer, &bad, into), FINGERQC_STATUS_INVALID_FRAME, "unknown pixel format");
    {
        size_t count = 99;
        EXPECT(fingerqc_report_reason_count(into, &count), FINGERQC_STATUS_OK, "");
        CHECK(count == 0);
    }
    fingerqc_report_free(into);

    /* --- Bad configs --- */
    fingerqc_analyzer *other = (fingerqc_analyzer *)&passed; /* must be overwritten with NULL */
    EXPECT(fingerqc_analyzer_new("{\"ppi\": {\"min\": 400", &other), FINGERQC_STATUS_INVALID_CONFIG, "could not be parsed");
    CHECK(other == NULL);
    EXPECT(fingerqc_analyzer_new("{\"ppi\": {\"min\": 800, \"max\": 600}}", &other),
           FINGERQC_STATUS_INVALID_CONFIG, "min 800 must be below max 600");
    EXPECT(fingerqc_analyzer_new("{\"no_such_field\": 1}", &other), FINGERQC_STATUS_INVALID_CONFIG, "no_such_field");
    EXPECT(fingerqc_analyzer_new("{\"exposure\": {\"dark_mean\": -5}}", &other), FINGERQC_STATUS_INVALID_CONFIG,
           "exposure.dark_mean");
    EXPECT(fingerqc_analyzer_new("{\"expected_hand\": \"\xff\"}", &other), FINGERQC_STATUS_INVALID_CONFIG, "UTF-8");
    /* A valid non-default config works. */
    EXPECT(fingerqc_analyzer_new("{\"expected_hand\": \"right\", \"ppi\": {\"min\": 300}}", &other),
           FINGERQC_STATUS_OK, "");
    CHECK(other != NULL);
    fingerqc_analyzer_free(other);

    /* A frame larger than the configured limit. */
    EXPECT(fingerqc_analyzer_new("{\"limits\": {\"max_frame_pixels\": 1000}}", &other), FINGERQC_STATUS_OK, "");
    EXPECT(fingerqc_analyze(other, &frame, &report), FINGERQC_STATUS_INVALID_FRAME, "larger than the limit of 1000");
    fingerqc_analyzer_free(other);

    /* Freeing NULL is a no-op; static strings. */
    fingerqc_analyzer_free(NULL);
    fingerqc_report_free(NULL);
    CHECK(strcmp(fingerqc_status_str(FINGERQC_STATUS_INVALID_FRAME), "invalid_frame") == 0);
    CHECK(strcmp(fingerqc_status_str(12345), "unknown") == 0);
    CHECK(strlen(fingerqc_version()) >= 5);

    /* Last error: length query, truncation keeps a NUL. */
    EXPECT(fingerqc_analyze(NULL, &frame, &report), FINGERQC_STATUS_NULL_POINTER, "analyzer");
    size_t full = fingerqc_last_error(NULL, 0);
    char four[4] = {'x', 'x', 'x', 'x'};
    CHECK(fingerqc_last_error(four, sizeof four) == full && full > 4 && four[3] == '\0');
    CHECK(strncmp(four, "fin", 3) == 0); /* messages start with the function name */

    fingerqc_analyzer_free(analyzer);
    printf("%d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
