/* Follows a camera stream through the fingerqc C ABI: feeds one raw frame (see analyze.c for
 * the format) repeatedly at 30 frames per second, prints the guidance of each frame, and when
 * the session captures, writes the captured frame and each fingertip crop as PGM files.
 *
 * Usage: session RAW_FILE OUT_DIR [CONFIG_JSON [SESSION_CONFIG_JSON]]
 *
 * Exit status: 0 when a capture fired and was written, 1 on any error, 2 when no capture
 * fired within 30 frames. */

#include "fingerqc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int fail(const char *what, fingerqc_status status) {
    char msg[512];
    fingerqc_last_error(msg, sizeof msg);
    fprintf(stderr, "session.c: %s -> %s: %s\n", what, fingerqc_status_str(status), msg);
    return 1;
}

static int write_pgm(const char *path, const fingerqc_image *img) {
    FILE *f = fopen(path, "wb");
    if (!f) return 0;
    fprintf(f, "P5\n%u %u\n255\n", img->width, img->height);
    for (uint32_t y = 0; y < img->height; y++)
        fwrite(img->pixels + (size_t)y * img->stride, 1, img->width, f);
    return fclose(f) == 0;
}

static uint32_t le32(const uint8_t *p) {
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

int main(int argc, char **argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: %s RAW_FILE OUT_DIR [CONFIG_JSON [SESSION_CONFIG_JSON]]\n", argv[0]);
        return 1;
    }
    /* Read a packed (gray/RGB/RGBA/BGRA) raw frame. */
    FILE *f = fopen(argv[1], "rb");
    if (!f) return perror(argv[1]), 1;
    static uint8_t header[24];
    if (fread(header, 1, 24, f) != 24 || memcmp(header, "FQCRAW01", 8) != 0) {
        fprintf(stderr, "%s: not a FQCRAW01 file\n", argv[1]);
        fclose(f);
        return 1;
    }
    uint32_t w = le32(header + 8), h = le32(header + 12), format = le32(header + 16);
    size_t bpp = format == FINGERQC_PIXEL_FORMAT_GRAY8 ? 1 : format == FINGERQC_PIXEL_FORMAT_RGB8 ? 3 : 4;
    if (format > FINGERQC_PIXEL_FORMAT_BGRA8) {
        fprintf(stderr, "%s: session.c takes packed formats only\n", argv[1]);
        fclose(f);
        return 1;
    }
    size_t size = (size_t)w * h * bpp;
    uint8_t *pixels = malloc(size);
    if (!pixels || fread(pixels, 1, size, f) != size) {
        fprintf(stderr, "%s: short file\n", argv[1]);
        fclose(f);
        free(pixels);
        return 1;
    }
    fclose(f);

    fingerqc_session *session = NULL;
    fingerqc_status s = fingerqc_session_new(argc > 3 ? argv[3] : NULL, argc > 4 ? argv[4] : NULL, &session);
    if (s != FINGERQC_STATUS_OK) {
        free(pixels);
        return fail("fingerqc_session_new", s);
    }
    fingerqc_frame frame = {.width = w, .height = h, .format = format};
    frame.planes[0] = pixels;
    frame.strides[0] = (size_t)w * bpp;
    frame.lengths[0] = size;

    int result = 2;
    for (int i = 0; i < 30 && result == 2; i++) {
        fingerqc_guidance g;
        double t = i / 30.0;
        if ((s = fingerqc_session_feed(session, &frame, t, &g)) != FINGERQC_STATUS_OK) {
            result = fail("fingerqc_session_feed", s);
            break;
        }
        char msg[256];
        fingerqc_session_message(session, FINGERQC_LANGUAGE_ENGLISH, msg, sizeof msg, NULL);
        printf("t=%.3f %-16s progress=%.2f%s  %s\n", t,
               g.has_primary ? fingerqc_reason_code_str(g.primary) : (g.ready ? "ready" : "-"),
               g.progress, g.captured ? " CAPTURED" : "", msg);
        if (!g.captured) continue;

        fingerqc_capture *capture = NULL;
        if ((s = fingerqc_session_take_capture(session, &capture)) != FINGERQC_STATUS_OK || !capture) {
            result = capture ? fail("fingerqc_session_take_capture", s) : 1;
            break;
        }
        fingerqc_image img;
        size_t n = 0;
        char path[4096];
        fingerqc_capture_image(capture, &img);
        snprintf(path, sizeof path, "%s/capture.pgm", argv[2]);
        result = write_pgm(path, &img) ? 0 : 1;
        fingerqc_capture_finger_count(capture, &n);
        for (size_t k = 0; k < n && result == 0; k++) {
            fingerqc_finger_crop crop;
            fingerqc_capture_finger(capture, k, &crop);
            snprintf(path, sizeof path, "%s/finger%zu.pgm", argv[2], k);
            if (!write_pgm(path, &crop.image)) result = 1;
            printf("  finger %zu: name %u quality %u, %ux%u at %.0f ppi (frame %.0f ppi)\n", k,
                   crop.name, crop.quality, crop.image.width, crop.image.height, crop.ppi,
                   crop.source_ppi);
        }
        /* The capture's report is borrowed: read it, do not free it. */
        const fingerqc_report *report = NULL;
        fingerqc_verdict verdict = FINGERQC_VERDICT_REJECT;
        fingerqc_capture_report(capture, &report);
        fingerqc_report_verdict(report, &verdict);
        printf("captured frame: %s, %zu fingertip crops written to %s\n",
               verdict == FINGERQC_VERDICT_ACCEPT ? "accept" : "reject", n, argv[2]);
        if (verdict != FINGERQC_VERDICT_ACCEPT || n == 0) result = 1;
        fingerqc_capture_free(capture);
    }
    fingerqc_session_free(session);
    free(pixels);
    return result;
}
