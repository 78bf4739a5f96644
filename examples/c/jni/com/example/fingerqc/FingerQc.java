package com.example.fingerqc;

import java.nio.ByteBuffer;

/** The Java side of examples/c/jni/fingerqc_jni.c (in Kotlin the same as an `object`). */
public final class FingerQc {
    static {
        System.loadLibrary("fingerqc_jni");
    }

    private FingerQc() {}

    /** A new analyzer for a JSON config (null = defaults); free it with {@link #free}. */
    public static native long newAnalyzer(String configJson);

    /** Analyses a YUV_420_888 frame (e.g. CameraX ImageProxy planes); returns the JSON report. */
    public static native String analyze(long analyzer, ByteBuffer y, int yRowStride, ByteBuffer u,
            ByteBuffer v, int uvRowStride, int uvPixelStride, int width, int height);

    /** Releases an analyzer. */
    public static native void free(long analyzer);
}
