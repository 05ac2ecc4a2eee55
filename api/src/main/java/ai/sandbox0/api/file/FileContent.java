package ai.sandbox0.api.file;

/** {@code FileContentResponse}: a file read when JSON was asked for. */
public record FileContent(String content, String encoding) {

    public static final String BASE64 = "base64";

    public static FileContent base64(byte[] bytes) {
        return new FileContent(java.util.Base64.getEncoder().encodeToString(bytes), BASE64);
    }
}
