package ai.sandbox0.api.file;

import static org.assertj.core.api.Assertions.assertThat;
import ai.sandbox0.api.common.Created;
import ai.sandbox0.api.common.Deleted;
import ai.sandbox0.api.common.Moved;
import ai.sandbox0.api.common.Written;

import ai.sandbox0.api.Json;
import com.fasterxml.jackson.databind.JsonNode;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class FileWireTest {

    private static JsonNode tree(String json) throws Exception {
        return Json.mapper().readTree(json);
    }

    private static <T> T roundTrip(String json, Class<T> type) throws Exception {
        T value = Json.mapper().readValue(json, type);
        assertThat(tree(Json.writeString(value))).isEqualTo(tree(json));
        return value;
    }

    @Test
    void fileInfoUsesIsLinkAndLinkTarget() throws Exception {
        var info = roundTrip("""
                {"name":"l","path":"/tmp/l","type":"symlink","size":5,"mode":"0777",
                 "mod_time":"2026-01-02T03:04:05.123Z","is_link":true,"link_target":"/tmp/h.txt"}""", FileInfo.class);
        assertThat(info.isLink()).isTrue();
        assertThat(info.type()).isEqualTo(FileType.SYMLINK);
        var plain = new FileInfo("h.txt", "/tmp/h.txt", FileType.FILE, 5, "0644",
                Instant.parse("2026-01-02T03:04:05Z"), false, null);
        assertThat(Json.writeString(plain)).isEqualTo("{\"name\":\"h.txt\",\"path\":\"/tmp/h.txt\",\"type\":\"file\","
                + "\"size\":5,\"mode\":\"0644\",\"mod_time\":\"2026-01-02T03:04:05Z\",\"is_link\":false}");
        roundTrip("{\"entries\":[{\"name\":\"d\",\"path\":\"/d\",\"type\":\"dir\",\"size\":0,\"mode\":\"0755\","
                + "\"mod_time\":\"2026-01-02T03:04:05Z\",\"is_link\":false}]}", FileEntries.class);
    }

    @Test
    void contentAndSmallBodies() throws Exception {
        assertThat(Json.writeString(FileContent.base64("hello".getBytes())))
                .isEqualTo("{\"content\":\"aGVsbG8=\",\"encoding\":\"base64\"}");
        roundTrip("{\"source\":\"/a\",\"destination\":\"/b\"}", MoveFileRequest.class);
        assertThat(Json.writeString(new Written(true))).isEqualTo("{\"written\":true}");
        assertThat(Json.writeString(new Created(true))).isEqualTo("{\"created\":true}");
        assertThat(Json.writeString(new Moved(true))).isEqualTo("{\"moved\":true}");
        assertThat(Json.writeString(new Deleted(true))).isEqualTo("{\"deleted\":true}");
    }

    @Test
    void watchRequestsByAction() throws Exception {
        assertThat(roundTrip("{\"action\":\"subscribe\",\"path\":\"/tmp\",\"recursive\":true}", FileWatchRequest.class))
                .isEqualTo(new FileWatchRequest.Subscribe("/tmp", true));
        assertThat(Json.mapper().readValue("{\"action\":\"subscribe\",\"path\":\"/tmp\"}", FileWatchRequest.class))
                .isEqualTo(new FileWatchRequest.Subscribe("/tmp", null));
        assertThat(roundTrip("{\"action\":\"unsubscribe\",\"watch_id\":\"w1\"}", FileWatchRequest.class))
                .isEqualTo(new FileWatchRequest.Unsubscribe("w1"));
    }

    @Test
    void watchResponsesHaveUpstreamShapes() throws Exception {
        List<FileWatchResponse> frames = List.of(
                new FileWatchResponse.Subscribed("w1", "/tmp"),
                new FileWatchResponse.Event("w1", WatchEventKind.CREATE, "/tmp/a.txt"),
                new FileWatchResponse.Unsubscribed("w1"),
                new FileWatchResponse.Error("path not found"));
        assertThat(frames.stream().map(Json::writeString).toList()).containsExactly(
                "{\"type\":\"subscribed\",\"watch_id\":\"w1\",\"path\":\"/tmp\"}",
                "{\"type\":\"event\",\"watch_id\":\"w1\",\"event\":\"create\",\"path\":\"/tmp/a.txt\"}",
                "{\"type\":\"unsubscribed\",\"watch_id\":\"w1\"}",
                "{\"type\":\"error\",\"error\":\"path not found\"}");
        for (var f : frames) {
            assertThat(Json.mapper().readValue(Json.writeString(f), FileWatchResponse.class)).isEqualTo(f);
        }
    }
}
