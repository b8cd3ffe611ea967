package keel.server.v2store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.time.Instant;
import java.util.List;
import java.util.function.Supplier;
import keel.server.api.http.V2Json;
import keel.server.errors.V2Exception;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * One session against real etcd, replayed on the store, every body compared byte for byte.
 *
 * <p>How the literals were captured: Debian's etcd 3.4.23 (go1.19.8), one fresh member started
 * by hand with {@code --enable-v2=true} on 127.0.0.1:23791, then
 * {@code curl -s -D headers -X METHOD http://127.0.0.1:23791/v2/keys/PATH -d ...} in this
 * order; the status line and X-Etcd-Index header were recorded with each body. A fresh member
 * answers X-Etcd-Index 3 (its hidden "/0" membership tree), hence the initial index. TTL requests
 * were made at wall-clock times we can only infer: each write's "now" below is its printed
 * expiration minus its ttl, and TTLs expired between requests are swept with the expiration as
 * the cutoff, which reproduces etcd's indexes (an expiry takes one index).
 */
@Timeout(10)
class V2StoreEtcdTranscriptTest {
  private final V2Store s = new V2Store(3, V2Store.DEFAULT_HISTORY, Runnable::run);

  static long t(String rfc3339) {
    Instant i = Instant.parse(rfc3339);
    return i.getEpochSecond() * 1_000_000_000L + i.getNano();
  }

  static void ok(V2Event e, String body) {
    assertThat(V2Json.event(e)).isEqualTo(body + "\n");
  }

  static void fails(Supplier<?> op, int status, String body) {
    V2Exception e = catchThrowableOfType(op::get, V2Exception.class);
    assertThat(e).as("expected %s", body).isNotNull();
    assertThat(V2Json.error(e)).isEqualTo(body + "\n");
    assertThat(e.error().httpStatus()).isEqualTo(status);
  }

  @Test
  void replaysEtcdSession() throws Exception {
    long now = t("2026-11-25T09:28:40Z");
    ok(s.set("/a", false, "1", 0, false, now),
        "{\"action\":\"set\",\"node\":{\"key\":\"/a\",\"value\":\"1\",\"modifiedIndex\":4,\"createdIndex\":4}}");
    V2Event e = s.set("/a", false, "2", 0, false, now);
    ok(e, "{\"action\":\"set\",\"node\":{\"key\":\"/a\",\"value\":\"2\",\"modifiedIndex\":5,\"createdIndex\":5},\"prevNode\":{\"key\":\"/a\",\"value\":\"1\",\"modifiedIndex\":4,\"createdIndex\":4}}");
    assertThat(e.isCreated()).isFalse(); // etcd: 200 OK, the first set was 201 Created
    assertThat(e.etcdIndex()).isEqualTo(5);
    ok(s.get("/a", false, false, now),
        "{\"action\":\"get\",\"node\":{\"key\":\"/a\",\"value\":\"2\",\"modifiedIndex\":5,\"createdIndex\":5}}");
    fails(() -> s.get("/nokey", false, false, now), 404,
        "{\"errorCode\":100,\"message\":\"Key not found\",\"cause\":\"/nokey\",\"index\":5}");
    ok(s.set("/d/x", false, "x", 0, false, now),
        "{\"action\":\"set\",\"node\":{\"key\":\"/d/x\",\"value\":\"x\",\"modifiedIndex\":6,\"createdIndex\":6}}");
    ok(s.get("/d", false, false, now),
        "{\"action\":\"get\",\"node\":{\"key\":\"/d\",\"dir\":true,\"nodes\":[{\"key\":\"/d/x\",\"value\":\"x\",\"modifiedIndex\":6,\"createdIndex\":6}],\"modifiedIndex\":6,\"createdIndex\":6}}");
    String notDir = "{\"errorCode\":104,\"message\":\"Not a directory\",\"cause\":\"/d/x\",\"index\":6}";
    fails(() -> s.get("/d/x/y", false, false, now), 400, notDir);
    fails(() -> s.set("/d/x/y", false, "1", 0, false, now), 400, notDir);
    String notFileD = "{\"errorCode\":102,\"message\":\"Not a file\",\"cause\":\"/d\",\"index\":6}";
    fails(() -> s.set("/d", false, "1", 0, false, now), 403, notFileD);
    fails(() -> s.set("/d", true, "", 0, false, now), 403, notFileD);
    String rootRo = "{\"errorCode\":107,\"message\":\"Root is read only\",\"cause\":\"/\",\"index\":6}";
    fails(() -> s.set("/", false, "1", 0, false, now), 400, rootRo);
    fails(() -> s.delete("/", false, false, now), 400, rootRo);
    fails(() -> s.delete("/d", false, false, now), 403, notFileD);
    fails(() -> s.delete("/d", true, false, now), 403,
        "{\"errorCode\":108,\"message\":\"Directory not empty\",\"cause\":\"/d\",\"index\":6}");
    fails(() -> s.compareAndSwap("/a", "9", 0, "3", 0, false, now), 412,
        "{\"errorCode\":101,\"message\":\"Compare failed\",\"cause\":\"[9 != 2]\",\"index\":6}");
    fails(() -> s.compareAndSwap("/a", "", 99, "3", 0, false, now), 412,
        "{\"errorCode\":101,\"message\":\"Compare failed\",\"cause\":\"[99 != 5]\",\"index\":6}");
    fails(() -> s.compareAndSwap("/a", "9", 99, "3", 0, false, now), 412,
        "{\"errorCode\":101,\"message\":\"Compare failed\",\"cause\":\"[9 != 2] [99 != 5]\",\"index\":6}");
    ok(s.compareAndSwap("/a", "2", 5, "3", 0, false, now),
        "{\"action\":\"compareAndSwap\",\"node\":{\"key\":\"/a\",\"value\":\"3\",\"modifiedIndex\":7,\"createdIndex\":5},\"prevNode\":{\"key\":\"/a\",\"value\":\"2\",\"modifiedIndex\":5,\"createdIndex\":5}}");
    // PUT ?prevExist=false is Create, ?prevExist=true is Update
    fails(() -> s.create("/a", false, "3", false, 0, now), 412,
        "{\"errorCode\":105,\"message\":\"Key already exists\",\"cause\":\"/a\",\"index\":7}");
    fails(() -> s.update("/b", "3", 0, false, now), 404,
        "{\"errorCode\":100,\"message\":\"Key not found\",\"cause\":\"/b\",\"index\":7}");
    ok(s.update("/a", "4", 0, false, now),
        "{\"action\":\"update\",\"node\":{\"key\":\"/a\",\"value\":\"4\",\"modifiedIndex\":8,\"createdIndex\":5},\"prevNode\":{\"key\":\"/a\",\"value\":\"3\",\"modifiedIndex\":7,\"createdIndex\":5}}");
    fails(() -> s.compareAndDelete("/a", "zz", 0, now), 412,
        "{\"errorCode\":101,\"message\":\"Compare failed\",\"cause\":\"[zz != 4]\",\"index\":8}");
    ok(s.compareAndDelete("/a", "4", 0, now),
        "{\"action\":\"compareAndDelete\",\"node\":{\"key\":\"/a\",\"modifiedIndex\":9,\"createdIndex\":5},\"prevNode\":{\"key\":\"/a\",\"value\":\"4\",\"modifiedIndex\":8,\"createdIndex\":5}}");
    e = s.create("/q", false, "first", true, 0, now);
    ok(e, "{\"action\":\"create\",\"node\":{\"key\":\"/q/00000000000000000010\",\"value\":\"first\",\"modifiedIndex\":10,\"createdIndex\":10}}");
    assertThat(e.isCreated()).isTrue();
    ok(s.create("/q", false, "second", true, 0, now),
        "{\"action\":\"create\",\"node\":{\"key\":\"/q/00000000000000000011\",\"value\":\"second\",\"modifiedIndex\":11,\"createdIndex\":11}}");
    ok(s.get("/q", true, true, now),
        "{\"action\":\"get\",\"node\":{\"key\":\"/q\",\"dir\":true,\"nodes\":[{\"key\":\"/q/00000000000000000010\",\"value\":\"first\",\"modifiedIndex\":10,\"createdIndex\":10},{\"key\":\"/q/00000000000000000011\",\"value\":\"second\",\"modifiedIndex\":11,\"createdIndex\":11}],\"modifiedIndex\":10,\"createdIndex\":10}}");
    ok(s.set("/_hid", false, "h", 0, false, now),
        "{\"action\":\"set\",\"node\":{\"key\":\"/_hid\",\"value\":\"h\",\"modifiedIndex\":12,\"createdIndex\":12}}");
    ok(s.set("/d/_hid", false, "h", 0, false, now),
        "{\"action\":\"set\",\"node\":{\"key\":\"/d/_hid\",\"value\":\"h\",\"modifiedIndex\":13,\"createdIndex\":13}}");
    ok(s.get("/d", true, false, now),
        "{\"action\":\"get\",\"node\":{\"key\":\"/d\",\"dir\":true,\"nodes\":[{\"key\":\"/d/x\",\"value\":\"x\",\"modifiedIndex\":6,\"createdIndex\":6}],\"modifiedIndex\":6,\"createdIndex\":6}}");
    ok(s.get("/", true, true, now),
        "{\"action\":\"get\",\"node\":{\"dir\":true,\"nodes\":[{\"key\":\"/d\",\"dir\":true,\"nodes\":[{\"key\":\"/d/x\",\"value\":\"x\",\"modifiedIndex\":6,\"createdIndex\":6}],\"modifiedIndex\":6,\"createdIndex\":6},{\"key\":\"/q\",\"dir\":true,\"nodes\":[{\"key\":\"/q/00000000000000000010\",\"value\":\"first\",\"modifiedIndex\":10,\"createdIndex\":10},{\"key\":\"/q/00000000000000000011\",\"value\":\"second\",\"modifiedIndex\":11,\"createdIndex\":11}],\"modifiedIndex\":10,\"createdIndex\":10}]}}");
    ok(s.get("/_hid", false, false, now),
        "{\"action\":\"get\",\"node\":{\"key\":\"/_hid\",\"value\":\"h\",\"modifiedIndex\":12,\"createdIndex\":12}}");
    ok(s.set("/e", true, "", 0, false, now),
        "{\"action\":\"set\",\"node\":{\"key\":\"/e\",\"dir\":true,\"modifiedIndex\":14,\"createdIndex\":14}}");
    ok(s.set("/e/f", true, "", 0, false, now),
        "{\"action\":\"set\",\"node\":{\"key\":\"/e/f\",\"dir\":true,\"modifiedIndex\":15,\"createdIndex\":15}}");
    ok(s.get("/e", true, false, now),
        "{\"action\":\"get\",\"node\":{\"key\":\"/e\",\"dir\":true,\"nodes\":[{\"key\":\"/e/f\",\"dir\":true,\"modifiedIndex\":15,\"createdIndex\":15}],\"modifiedIndex\":14,\"createdIndex\":14}}");
    ok(s.delete("/e", false, true, now),
        "{\"action\":\"delete\",\"node\":{\"key\":\"/e\",\"dir\":true,\"modifiedIndex\":16,\"createdIndex\":14},\"prevNode\":{\"key\":\"/e\",\"dir\":true,\"modifiedIndex\":14,\"createdIndex\":14}}");
    ok(s.set("/e2", true, "", 0, false, now),
        "{\"action\":\"set\",\"node\":{\"key\":\"/e2\",\"dir\":true,\"modifiedIndex\":17,\"createdIndex\":17}}");
    ok(s.delete("/e2", true, false, now),
        "{\"action\":\"delete\",\"node\":{\"key\":\"/e2\",\"dir\":true,\"modifiedIndex\":18,\"createdIndex\":17},\"prevNode\":{\"key\":\"/e2\",\"dir\":true,\"modifiedIndex\":17,\"createdIndex\":17}}");
    ok(s.delete("/d/x", false, false, now),
        "{\"action\":\"delete\",\"node\":{\"key\":\"/d/x\",\"modifiedIndex\":19,\"createdIndex\":6},\"prevNode\":{\"key\":\"/d/x\",\"value\":\"x\",\"modifiedIndex\":6,\"createdIndex\":6}}");

    // ---- TTLs ----
    long exp20 = t("2026-11-25T09:30:22.980164039Z");
    ok(s.set("/t", false, "v", exp20, false, exp20 - 100_000_000_000L),
        "{\"action\":\"set\",\"node\":{\"key\":\"/t\",\"value\":\"v\",\"expiration\":\"2026-11-25T09:30:22.980164039Z\",\"ttl\":100,\"modifiedIndex\":20,\"createdIndex\":20}}");
    long exp21 = t("2026-11-25T09:32:03.074813201Z");
    // PUT ttl=200 refresh=true prevExist=true: an update that keeps the value
    e = s.update("/t", "", exp21, true, exp21 - 200_000_000_000L);
    ok(e, "{\"action\":\"update\",\"node\":{\"key\":\"/t\",\"value\":\"v\",\"expiration\":\"2026-11-25T09:32:03.074813201Z\",\"ttl\":200,\"modifiedIndex\":21,\"createdIndex\":20},\"prevNode\":{\"key\":\"/t\",\"value\":\"v\",\"expiration\":\"2026-11-25T09:30:22.980164039Z\",\"ttl\":100,\"modifiedIndex\":20,\"createdIndex\":20}}");
    assertThat(e.refresh()).isTrue();
    ok(s.get("/t", false, false, exp21 - 200_000_000_000L),
        "{\"action\":\"get\",\"node\":{\"key\":\"/t\",\"value\":\"v\",\"expiration\":\"2026-11-25T09:32:03.074813201Z\",\"ttl\":200,\"modifiedIndex\":21,\"createdIndex\":20}}");
    long exp22 = t("2026-11-25T09:30:23.133163083Z");
    ok(s.set("/td", true, "", exp22, false, exp22 - 100_000_000_000L),
        "{\"action\":\"set\",\"node\":{\"key\":\"/td\",\"dir\":true,\"expiration\":\"2026-11-25T09:30:23.133163083Z\",\"ttl\":100,\"modifiedIndex\":22,\"createdIndex\":22}}");
    long exp23 = t("2026-11-25T09:33:43.144353469Z");
    long now23 = exp23 - 300_000_000_000L;
    ok(s.update("/td", "", exp23, false, now23),
        "{\"action\":\"update\",\"node\":{\"key\":\"/td\",\"dir\":true,\"expiration\":\"2026-11-25T09:33:43.144353469Z\",\"ttl\":300,\"modifiedIndex\":23,\"createdIndex\":22},\"prevNode\":{\"key\":\"/td\",\"dir\":true,\"expiration\":\"2026-11-25T09:30:23.133163083Z\",\"ttl\":100,\"modifiedIndex\":22,\"createdIndex\":22}}");
    ok(s.set("/t", false, "perm", 0, false, now23),
        "{\"action\":\"set\",\"node\":{\"key\":\"/t\",\"value\":\"perm\",\"modifiedIndex\":24,\"createdIndex\":24},\"prevNode\":{\"key\":\"/t\",\"value\":\"v\",\"expiration\":\"2026-11-25T09:32:03.074813201Z\",\"ttl\":200,\"modifiedIndex\":21,\"createdIndex\":20}}");
    assertThat(s.nextExpiry()).hasValue(exp23);
    // ten minutes later /td had expired: index 25
    List<V2Event> expired = s.deleteExpiredKeys(exp23);
    assertThat(expired).extracting(V2Event::index).containsExactly(25L);

    // ---- waitIndex from history (X-Etcd-Index of a watch = the store index then: 25) ----
    assertWatch("/", true, 1,
        "{\"action\":\"set\",\"node\":{\"key\":\"/a\",\"value\":\"1\",\"modifiedIndex\":4,\"createdIndex\":4}}");
    assertWatch("/a", false, 4,
        "{\"action\":\"set\",\"node\":{\"key\":\"/a\",\"value\":\"1\",\"modifiedIndex\":4,\"createdIndex\":4}}");
    assertWatch("/d", true, 1,
        "{\"action\":\"set\",\"node\":{\"key\":\"/d/x\",\"value\":\"x\",\"modifiedIndex\":6,\"createdIndex\":6}}");
    assertWatch("/e/f", false, 15,
        "{\"action\":\"set\",\"node\":{\"key\":\"/e/f\",\"dir\":true,\"modifiedIndex\":15,\"createdIndex\":15}}");
    assertWatch("/e/f/g", false, 15,
        "{\"action\":\"delete\",\"node\":{\"key\":\"/e\",\"dir\":true,\"modifiedIndex\":16,\"createdIndex\":14},\"prevNode\":{\"key\":\"/e\",\"dir\":true,\"modifiedIndex\":14,\"createdIndex\":14}}");
    assertWatch("/d", true, 13,
        "{\"action\":\"set\",\"node\":{\"key\":\"/d/_hid\",\"value\":\"h\",\"modifiedIndex\":13,\"createdIndex\":13}}");

    String notFileQ = "{\"errorCode\":102,\"message\":\"Not a file\",\"cause\":\"/q\",\"index\":25}";
    fails(() -> s.compareAndSwap("/q", "x", 0, "1", 0, false, now), 403, notFileQ);
    fails(() -> s.compareAndDelete("/q", "x", 0, now), 403, notFileQ);
    fails(() -> s.compareAndDelete("/q", "", 3, now), 403, notFileQ);
    ok(s.set("/d2", true, "", 0, false, now),
        "{\"action\":\"set\",\"node\":{\"key\":\"/d2\",\"dir\":true,\"modifiedIndex\":26,\"createdIndex\":26}}");
    fails(() -> s.update("/d2", "z", 0, false, now), 403,
        "{\"errorCode\":102,\"message\":\"Not a file\",\"cause\":\"/d2\",\"index\":26}");
    ok(s.update("/d2", "", 0, false, now),
        "{\"action\":\"update\",\"node\":{\"key\":\"/d2\",\"dir\":true,\"modifiedIndex\":27,\"createdIndex\":26},\"prevNode\":{\"key\":\"/d2\",\"dir\":true,\"modifiedIndex\":26,\"createdIndex\":26}}");
    ok(s.set("/d/x", false, "a\"b<>", 0, false, now),
        "{\"action\":\"set\",\"node\":{\"key\":\"/d/x\",\"value\":\"a\\\"b\\u003c\\u003e\",\"modifiedIndex\":28,\"createdIndex\":28}}");
    ok(s.set("/s", false, "", 0, false, now),
        "{\"action\":\"set\",\"node\":{\"key\":\"/s\",\"value\":\"\",\"modifiedIndex\":29,\"createdIndex\":29}}");
    ok(s.get("/s", false, false, now),
        "{\"action\":\"get\",\"node\":{\"key\":\"/s\",\"value\":\"\",\"modifiedIndex\":29,\"createdIndex\":29}}");
    ok(s.set("/a/b", false, "1", 0, false, now),
        "{\"action\":\"set\",\"node\":{\"key\":\"/a/b\",\"value\":\"1\",\"modifiedIndex\":30,\"createdIndex\":30}}");
    fails(() -> s.set("/a/b/c", false, "1", 0, false, now), 400,
        "{\"errorCode\":104,\"message\":\"Not a directory\",\"cause\":\"/a/b\",\"index\":30}");
    long exp31 = t("2026-11-25T09:39:45.579990683Z");
    long now31 = exp31 - 50_000_000_000L;
    ok(s.compareAndSwap("/t", "", 24, "x", exp31, false, now31),
        "{\"action\":\"compareAndSwap\",\"node\":{\"key\":\"/t\",\"value\":\"x\",\"expiration\":\"2026-11-25T09:39:45.579990683Z\",\"ttl\":50,\"modifiedIndex\":31,\"createdIndex\":24},\"prevNode\":{\"key\":\"/t\",\"value\":\"perm\",\"modifiedIndex\":24,\"createdIndex\":24}}");
    ok(s.set("/t", false, "y", 0, false, now31 + 60_000_000L),
        "{\"action\":\"set\",\"node\":{\"key\":\"/t\",\"value\":\"y\",\"modifiedIndex\":32,\"createdIndex\":32},\"prevNode\":{\"key\":\"/t\",\"value\":\"x\",\"expiration\":\"2026-11-25T09:39:45.579990683Z\",\"ttl\":50,\"modifiedIndex\":31,\"createdIndex\":24}}");
    // ttl=0: expires at once, prints its expiration and no ttl
    long exp33 = t("2026-11-25T09:38:55.641234613Z");
    ok(s.set("/t", false, "y", exp33, false, exp33),
        "{\"action\":\"set\",\"node\":{\"key\":\"/t\",\"value\":\"y\",\"expiration\":\"2026-11-25T09:38:55.641234613Z\",\"modifiedIndex\":33,\"createdIndex\":33},\"prevNode\":{\"key\":\"/t\",\"value\":\"y\",\"modifiedIndex\":32,\"createdIndex\":32}}");
    assertThat(s.deleteExpiredKeys(exp33 + 500_000_000L)).extracting(V2Event::index)
        .containsExactly(34L);
    long later = exp33 + 1_000_000_000L;
    fails(() -> s.set("/t", false, "", later + 5_000_000_000L, true, later), 404,
        "{\"errorCode\":100,\"message\":\"Key not found\",\"cause\":\"/t\",\"index\":34}");
    ok(s.create("/q", true, "", true, 0, later),
        "{\"action\":\"create\",\"node\":{\"key\":\"/q/00000000000000000035\",\"dir\":true,\"modifiedIndex\":35,\"createdIndex\":35}}");
    fails(() -> s.create("/q", true, "", false, 0, later), 412,
        "{\"errorCode\":105,\"message\":\"Key already exists\",\"cause\":\"/q\",\"index\":35}");
    ok(s.delete("/q/00000000000000000010", true, false, later),
        "{\"action\":\"delete\",\"node\":{\"key\":\"/q/00000000000000000010\",\"modifiedIndex\":36,\"createdIndex\":10},\"prevNode\":{\"key\":\"/q/00000000000000000010\",\"value\":\"first\",\"modifiedIndex\":10,\"createdIndex\":10}}");
    fails(() -> s.delete("/nope", false, false, later), 404,
        "{\"errorCode\":100,\"message\":\"Key not found\",\"cause\":\"/nope\",\"index\":36}");
    ok(s.set("/uu", false, "1", 0, false, later),
        "{\"action\":\"set\",\"node\":{\"key\":\"/uu\",\"value\":\"1\",\"modifiedIndex\":37,\"createdIndex\":37}}");
    long exp38 = t("2026-11-25T09:40:36.775942775Z");
    long now38 = exp38 - 100_000_000_000L;
    ok(s.update("/uu", "1", exp38, false, now38),
        "{\"action\":\"update\",\"node\":{\"key\":\"/uu\",\"value\":\"1\",\"expiration\":\"2026-11-25T09:40:36.775942775Z\",\"ttl\":100,\"modifiedIndex\":38,\"createdIndex\":37},\"prevNode\":{\"key\":\"/uu\",\"value\":\"1\",\"modifiedIndex\":37,\"createdIndex\":37}}");
    ok(s.update("/uu", "2", 0, false, now38 + 10_000_000L),
        "{\"action\":\"update\",\"node\":{\"key\":\"/uu\",\"value\":\"2\",\"modifiedIndex\":39,\"createdIndex\":37},\"prevNode\":{\"key\":\"/uu\",\"value\":\"1\",\"expiration\":\"2026-11-25T09:40:36.775942775Z\",\"ttl\":100,\"modifiedIndex\":38,\"createdIndex\":37}}");
    long exp40 = t("2026-11-25T09:40:36.801846667Z");
    ok(s.compareAndSwap("/uu", "2", 0, "3", exp40, false, exp40 - 100_000_000_000L),
        "{\"action\":\"compareAndSwap\",\"node\":{\"key\":\"/uu\",\"value\":\"3\",\"expiration\":\"2026-11-25T09:40:36.801846667Z\",\"ttl\":100,\"modifiedIndex\":40,\"createdIndex\":37},\"prevNode\":{\"key\":\"/uu\",\"value\":\"2\",\"modifiedIndex\":39,\"createdIndex\":37}}");
    ok(s.compareAndSwap("/uu", "3", 0, "3", 0, false, exp40 - 99_990_000_000L),
        "{\"action\":\"compareAndSwap\",\"node\":{\"key\":\"/uu\",\"value\":\"3\",\"modifiedIndex\":41,\"createdIndex\":37},\"prevNode\":{\"key\":\"/uu\",\"value\":\"3\",\"expiration\":\"2026-11-25T09:40:36.801846667Z\",\"ttl\":100,\"modifiedIndex\":40,\"createdIndex\":37}}");
    fails(() -> s.delete("/td", true, false, later), 404,
        "{\"errorCode\":100,\"message\":\"Key not found\",\"cause\":\"/td\",\"index\":41}");
    ok(s.set("/ttd/a", false, "1", 0, false, later),
        "{\"action\":\"set\",\"node\":{\"key\":\"/ttd/a\",\"value\":\"1\",\"modifiedIndex\":42,\"createdIndex\":42}}");
    long exp43 = t("2026-11-25T09:40:36.956054294Z");
    ok(s.update("/ttd", "", exp43, false, exp43 - 100_000_000_000L),
        "{\"action\":\"update\",\"node\":{\"key\":\"/ttd\",\"dir\":true,\"expiration\":\"2026-11-25T09:40:36.956054294Z\",\"ttl\":100,\"modifiedIndex\":43,\"createdIndex\":42},\"prevNode\":{\"key\":\"/ttd\",\"dir\":true,\"modifiedIndex\":42,\"createdIndex\":42}}");
    // the directory keeps modifiedIndex 42 although the update printed 43, as etcd does
    ok(s.get("/ttd", true, false, exp43 - 100_000_000_000L),
        "{\"action\":\"get\",\"node\":{\"key\":\"/ttd\",\"dir\":true,\"expiration\":\"2026-11-25T09:40:36.956054294Z\",\"ttl\":100,\"nodes\":[{\"key\":\"/ttd/a\",\"value\":\"1\",\"modifiedIndex\":42,\"createdIndex\":42}],\"modifiedIndex\":42,\"createdIndex\":42}}");
    assertWatch("/ttd/a", false, 1,
        "{\"action\":\"set\",\"node\":{\"key\":\"/ttd/a\",\"value\":\"1\",\"modifiedIndex\":42,\"createdIndex\":42}}");

    // escaping: PUT --data-urlencode value@<(printf 'a&b\x01\x08\x0c\n\r\t\\é\xe2\x80\xa8z\x7f😀')
    ok(s.set("/esc", false, "a&b\u0001\b\f\n\r\t\\é\u2028z\u007f😀", 0, false, later),
        "{\"action\":\"set\",\"node\":{\"key\":\"/esc\",\"value\":\"a\\u0026b\\u0001\\u0008\\u000c\\n\\r\\t\\\\é\\u2028z\u007f😀\",\"modifiedIndex\":44,\"createdIndex\":44}}");

    // expiry of a directory with TTL'd children; a watcher under it hears of it
    V2Watcher under = s.watch("/expd/sub", false, false, 0);
    long exp45 = t("2026-11-25T09:40:14.498205993Z");
    s.set("/exp", false, "e", exp45, false, exp45 - 1_000_000_000L);
    ok(s.set("/expd/sub/k", false, "e", 0, false, exp45),
        "{\"action\":\"set\",\"node\":{\"key\":\"/expd/sub/k\",\"value\":\"e\",\"modifiedIndex\":46,\"createdIndex\":46}}");
    long exp47 = t("2026-11-25T09:40:14.514506346Z");
    ok(s.update("/expd", "", exp47, false, exp47 - 1_000_000_000L),
        "{\"action\":\"update\",\"node\":{\"key\":\"/expd\",\"dir\":true,\"expiration\":\"2026-11-25T09:40:14.514506346Z\",\"ttl\":1,\"modifiedIndex\":47,\"createdIndex\":46},\"prevNode\":{\"key\":\"/expd\",\"dir\":true,\"modifiedIndex\":46,\"createdIndex\":46}}");
    long exp48 = t("2026-11-25T09:40:14.521532901Z");
    ok(s.set("/expd/k2", false, "e", exp48, false, exp48 - 1_000_000_000L),
        "{\"action\":\"set\",\"node\":{\"key\":\"/expd/k2\",\"value\":\"e\",\"expiration\":\"2026-11-25T09:40:14.521532901Z\",\"ttl\":1,\"modifiedIndex\":48,\"createdIndex\":48}}");
    expired = s.deleteExpiredKeys(exp48);
    assertThat(expired).extracting(x -> x.node().key()).containsExactly("/exp", "/expd");
    String expdExpired = "{\"action\":\"expire\",\"node\":{\"key\":\"/expd\",\"dir\":true,\"modifiedIndex\":50,\"createdIndex\":46},\"prevNode\":{\"key\":\"/expd\",\"dir\":true,\"expiration\":\"2026-11-25T09:40:14.514506346Z\",\"modifiedIndex\":46,\"createdIndex\":46}}";
    ok(expired.get(1), expdExpired);
    ok(under.firstEvent().getNow(null), expdExpired);
    assertThat(s.index()).isEqualTo(50);
    assertThat(s.ttlKeyCount()).isEqualTo(1); // /ttd; /expd/k2 went with its directory

    // 1010 puts push the first events out of the 1000-event history
    for (int i = 1; i <= 1010; i++) {
      s.set("/h/k" + i, false, "1", 0, false, later);
    }
    assertThat(s.index()).isEqualTo(1060);
    V2Exception cleared = catchThrowableOfType(() -> s.watch("/a", false, false, 5),
        V2Exception.class);
    assertThat(V2Json.error(cleared)).isEqualTo(
        "{\"errorCode\":401,\"message\":\"The event in requested index is outdated and cleared\",\"cause\":\"the requested history has been cleared [61/5]\",\"index\":1060}\n");
    assertThat(cleared.error().httpStatus()).isEqualTo(400);
    V2Watcher w = s.watch("/h/k1000", true, false, 70);
    ok(w.firstEvent().getNow(null),
        "{\"action\":\"set\",\"node\":{\"key\":\"/h/k1000\",\"value\":\"1\",\"modifiedIndex\":1050,\"createdIndex\":1050}}");
    assertThat(w.startIndex()).isEqualTo(1060);
  }

  private void assertWatch(String key, boolean recursive, long waitIndex, String body) {
    V2Watcher w = s.watch(key, recursive, false, waitIndex);
    assertThat(w.startIndex()).isEqualTo(s.index());
    V2Event e = w.firstEvent().getNow(null);
    assertThat(e).as("event from history for %s@%s", key, waitIndex).isNotNull();
    ok(e, body);
  }
}
