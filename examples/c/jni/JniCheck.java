import com.example.fingerqc.FingerQc;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Runs the JNI glue on the desktop JVM with frames laid out the way CameraX delivers
 * YUV_420_888: padded rows, and for NV21/NV12 one interleaved chroma buffer seen through two
 * overlapping ByteBuffers (V and U planes with pixel stride 2), each one byte short. The JSON
 * report must equal the Rust API's (FRAME.rust.json beside each raw file, written by dump_raw).
 *
 * <p>Usage: java -Djava.library.path=DIR -cp DIR JniCheck FRAME.{nv21,nv12,i420}.raw...
 */
public final class JniCheck {
    public static void main(String[] args) throws IOException {
        long analyzer = FingerQc.newAnalyzer(null);
        int passed = 0, failed = 0;
        for (String arg : args) {
            Path path = Path.of(arg);
            ByteBuffer raw = ByteBuffer.wrap(Files.readAllBytes(path)).order(ByteOrder.LITTLE_ENDIAN);
            int w = raw.getInt(8), h = raw.getInt(12), format = raw.getInt(16);
            int cw = w / 2, ch = h / 2;
            int yStride = w + 16, uvStride;
            ByteBuffer y = padded(raw, 24, w, h, yStride), u, v;
            int pixelStride;
            if (format == 4 || format == 5) { // NV21 (V first) or NV12 (U first)
                uvStride = w + 24;
                ByteBuffer chroma = padded(raw, 24 + w * h, w, ch, uvStride);
                ByteBuffer first = slice(chroma, 0, chroma.capacity() - 1);
                ByteBuffer second = slice(chroma, 1, chroma.capacity() - 1);
                v = format == 4 ? first : second;
                u = format == 4 ? second : first;
                pixelStride = 2;
            } else if (format == 6) { // I420: separate planes
                uvStride = cw + 8;
                u = padded(raw, 24 + w * h, cw, ch, uvStride);
                v = padded(raw, 24 + w * h + cw * ch, cw, ch, uvStride);
                pixelStride = 1;
            } else {
                System.err.println(arg + ": not a YUV 4:2:0 frame");
                failed++;
                continue;
            }
            String json = FingerQc.analyze(analyzer, y, yStride, u, v, uvStride, pixelStride, w, h);
            String want = Files.readString(Path.of(arg + ".rust.json"));
            if (untimed(json).equals(untimed(want))) {
                passed++;
            } else {
                failed++;
                System.err.println(arg + ": JSON through JNI differs from the Rust API's");
            }
        }
        // Errors surface as exceptions carrying fingerqc_last_error's message.
        try {
            FingerQc.newAnalyzer("{\"ppi\": {\"min\": 800, \"max\": 600}}");
            failed++;
            System.err.println("a bad config did not throw");
        } catch (IllegalArgumentException e) {
            if (e.getMessage().contains("ppi.min")) passed++;
            else {
                failed++;
                System.err.println("unexpected message: " + e.getMessage());
            }
        }
        FingerQc.free(analyzer);
        System.out.println(passed + " passed, " + failed + " failed");
        System.exit(failed == 0 ? 0 : 1);
    }

    /** A direct buffer holding `rows` rows of `row` bytes from `src` at `offset`, `stride` apart;
     *  like a camera's, the last row is not padded. */
    static ByteBuffer padded(ByteBuffer src, int offset, int row, int rows, int stride) {
        ByteBuffer out = ByteBuffer.allocateDirect(stride * (rows - 1) + row);
        for (int r = 0; r < rows; r++) {
            out.put(r * stride, src, offset + r * row, row);
        }
        return out;
    }

    static ByteBuffer slice(ByteBuffer b, int start, int length) {
        return b.slice(start, length);
    }

    static String untimed(String json) {
        return json.replaceAll("\"elapsed_us\":[0-9]+", "\"elapsed_us\":0");
    }
}
