/* JNI glue between an Android app (com.example.fingerqc.FingerQc) and the fingerqc C ABI.
 * Link it into the app's native library together with libfingerqc.a (docs/embedding.md).
 *
 * CameraX hands over YUV_420_888 frames as three direct ByteBuffers. This glue passes them
 * without copying: chroma with pixel stride 2 where V sits one byte before U is NV21 in memory
 * (the common case), U one byte before V is NV12, pixel stride 1 is planar (I420 with
 * strides). Each interleaved chroma ByteBuffer stops one byte short of the interleaved plane
 * (its last byte belongs to the other buffer), hence the `+ 1` in its length.
 *
 * scripts/c-test.sh runs this file on the desktop JVM (same JNI) with frames laid out the way
 * CameraX lays them out, and checks the JSON equals the Rust API's. */

#include <jni.h>
#include <stdint.h>
#include <stdlib.h>

#include "fingerqc.h"

static void throw_last_error(JNIEnv *env, const char *what) {
    char msg[512];
    size_t n = fingerqc_last_error(msg, sizeof msg);
    jclass ex = (*env)->FindClass(env, "java/lang/IllegalArgumentException");
    if (ex) (*env)->ThrowNew(env, ex, n ? msg : what);
}

JNIEXPORT jlong JNICALL Java_com_example_fingerqc_FingerQc_newAnalyzer(JNIEnv *env, jclass cls,
                                                                      jstring config) {
    (void)cls;
    const char *json = config ? (*env)->GetStringUTFChars(env, config, NULL) : NULL;
    fingerqc_analyzer *analyzer = NULL;
    fingerqc_status status = fingerqc_analyzer_new(json, &analyzer);
    if (json) (*env)->ReleaseStringUTFChars(env, config, json);
    if (status != FINGERQC_STATUS_OK) throw_last_error(env, "fingerqc_analyzer_new failed");
    return (jlong)(intptr_t)analyzer;
}

JNIEXPORT void JNICALL Java_com_example_fingerqc_FingerQc_free(JNIEnv *env, jclass cls,
                                                              jlong handle) {
    (void)env;
    (void)cls;
    fingerqc_analyzer_free((fingerqc_analyzer *)(intptr_t)handle);
}

/* Analyses one YUV_420_888 frame; returns the report as JSON, or throws. */
JNIEXPORT jstring JNICALL Java_com_example_fingerqc_FingerQc_analyze(
    JNIEnv *env, jclass cls, jlong handle, jobject y, jint yStride, jobject u, jobject v,
    jint uvStride, jint uvPixelStride, jint width, jint height) {
    (void)cls;
    const uint8_t *py = (*env)->GetDirectBufferAddress(env, y);
    const uint8_t *pu = (*env)->GetDirectBufferAddress(env, u);
    const uint8_t *pv = (*env)->GetDirectBufferAddress(env, v);
    jlong ny = (*env)->GetDirectBufferCapacity(env, y);
    jlong nu = (*env)->GetDirectBufferCapacity(env, u);
    jlong nv = (*env)->GetDirectBufferCapacity(env, v);
    if (!py || !pu || !pv || ny < 0 || nu < 0 || nv < 0 || width <= 0 || height <= 0 ||
        yStride <= 0 || uvStride <= 0) {
        jclass ex = (*env)->FindClass(env, "java/lang/IllegalArgumentException");
        if (ex) (*env)->ThrowNew(env, ex, "direct ByteBuffers and positive sizes required");
        return NULL;
    }
    fingerqc_frame f = {.width = (uint32_t)width, .height = (uint32_t)height};
    f.planes[0] = py;
    f.strides[0] = (size_t)yStride;
    f.lengths[0] = (size_t)ny;
    if (uvPixelStride == 2 && pv + 1 == pu) { /* V U V U ... : NV21 */
        f.format = FINGERQC_PIXEL_FORMAT_NV21;
        f.planes[1] = pv;
        f.strides[1] = (size_t)uvStride;
        f.lengths[1] = (size_t)nv + 1;
    } else if (uvPixelStride == 2 && pu + 1 == pv) { /* U V U V ... : NV12 */
        f.format = FINGERQC_PIXEL_FORMAT_NV12;
        f.planes[1] = pu;
        f.strides[1] = (size_t)uvStride;
        f.lengths[1] = (size_t)nu + 1;
    } else if (uvPixelStride == 1) { /* planar */
        f.format = FINGERQC_PIXEL_FORMAT_I420;
        f.planes[1] = pu;
        f.strides[1] = (size_t)uvStride;
        f.lengths[1] = (size_t)nu;
        f.planes[2] = pv;
        f.strides[2] = (size_t)uvStride;
        f.lengths[2] = (size_t)nv;
    } else {
        jclass ex = (*env)->FindClass(env, "java/lang/IllegalArgumentException");
        if (ex) (*env)->ThrowNew(env, ex, "unusual chroma layout: convert to NV21 first");
        return NULL;
    }
    fingerqc_report *report = NULL;
    if (fingerqc_analyze((fingerqc_analyzer *)(intptr_t)handle, &f, &report) != FINGERQC_STATUS_OK) {
        throw_last_error(env, "fingerqc_analyze failed");
        return NULL;
    }
    size_t n = 0;
    fingerqc_report_json(report, NULL, 0, &n);
    char *json = malloc(n + 1);
    jstring out = NULL;
    if (json && fingerqc_report_json(report, json, n + 1, &n) == FINGERQC_STATUS_OK)
        out = (*env)->NewStringUTF(env, json);
    free(json);
    fingerqc_report_free(report);
    return out;
}
