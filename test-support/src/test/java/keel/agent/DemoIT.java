package keel.agent;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import keel.testing.Deadlines;
import keel.testing.ProcessTrees;
import keel.testing.TempDirs;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@code ./keel demo} as the README tells a person to run it, with the real Jupyter as the gated
 * process (Debian's jupyter-notebook, installed by .ci/install-test-deps): the demo prints its
 * table once the cluster formed, Jupyter answers through every node's proxy, {@code keel demo
 * status --json} from another process sees the same, and Ctrl-C (SIGINT) stops every process and
 * removes the demo directory.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class DemoIT {
  private static final Path HOME = Path.of("..").toAbsolutePath().normalize();

  @Test
  void demoRunsJupyterBehindEveryProxyAndCtrlCLeavesNothing() throws Exception {
    assertThat(Files.isExecutable(Path.of("/usr/bin/jupyter-notebook")))
        .as("Debian's jupyter-notebook (.ci/install-test-deps installs it)").isTrue();
    Path parent = Files.createTempDirectory("keel-demo-it");
    Path dir = parent.resolve("demo.keel");
    // As from a terminal, where Ctrl-C's SIGINT is handled: a test run started in the background of
    // a shell without job control (`mvn verify &`) inherits SIGINT ignored, the JVM then installs
    // no handler, and the demo would never see the Ctrl-C this test sends (env execs, same pid).
    ProcessBuilder builder = new ProcessBuilder("env", "--default-signal=INT", HOME.resolve("keel").toString(),
        "demo", "--nodes", "3", "--dir", dir.toString(), "--gate-cmd", "jupyter").redirectErrorStream(true);
    builder.environment().put("KEEL_NO_BUILD", "1"); // Maven built keel.jar just before this test
    Process demo = builder.start();
    ProcessTrees.register(demo);
    List<String> output = new ArrayList<>();
    Thread reader = new Thread(() -> read(demo, output), "demo-output");
    reader.setDaemon(true);
    reader.start();
    try {
      Deadlines.await("the demo's table", Duration.ofSeconds(180)).until(() -> text(output).contains("Ctrl-C stops"));
      String table = text(output);
      System.out.println(table);
      assertThat(table).contains("gated process (jupyter): runs on node");
      Matcher holderLine = Pattern.compile("runs on (node\\d)").matcher(table);
      assertThat(holderLine.find()).isTrue();
      String holder = holderLine.group(1);

      for (int i = 1; i <= 3; i++) {
        InetSocketAddress proxy = new InetSocketAddress("127.0.0.1" + i, 8888);
        ProxyProbe.Response api = Deadlines.await("Jupyter's /api through node" + i + "'s proxy", Duration.ofSeconds(60))
            .ignoreExceptions().until(() -> ProxyProbe.get(proxy, "/api", 5000), r -> r.status() == 200);
        assertThat(api.body()).as("Jupyter's version answer").contains("\"version\"");
        ProxyProbe.Response tree = ProxyProbe.get(proxy, "/tree", 5000);
        assertThat(tree.status()).isEqualTo(200);
        assertThat(tree.body()).contains("Jupyter");
      }

      Process status = new ProcessBuilder(HOME.resolve("keel").toString(), "demo", "status", "--json",
          "--dir", dir.toString()).redirectErrorStream(true).start();
      String json;
      try {
        status.getOutputStream().close();
        json = new String(status.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(status.waitFor(60, TimeUnit.SECONDS)).isTrue();
      } finally {
        status.destroyForcibly();
      }
      assertThat(json).contains("\"gateHolder\":\"" + holder + "\"").contains("\"gate\":\"jupyter\"");
      assertThat(json.split("\"registered\":true", -1)).hasSize(4);
      List<Long> pids = new ArrayList<>();
      Matcher pid = Pattern.compile("\"pid\":(\\d+)").matcher(json);
      while (pid.find()) {
        pids.add(Long.parseLong(pid.group(1)));
      }
      assertThat(pids).hasSize(3);
      List<ProcessHandle> everything = new ArrayList<>();
      for (long p : pids) {
        ProcessHandle.of(p).ifPresent(h -> {
          everything.add(h);
          h.descendants().forEach(everything::add);
        });
      }
      assertThat(everything.stream().anyMatch(h -> h.info().commandLine().orElse("").contains("jupyter")))
          .as("Jupyter runs in a node's tree").isTrue();

      // Ctrl-C
      new ProcessBuilder("kill", "-INT", Long.toString(demo.pid())).start().waitFor();
      if (!demo.waitFor(90, TimeUnit.SECONDS)) {
        // Keep what tells why: the demo's output and its threads.
        Process dump = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "jcmd").toString(),
            Long.toString(demo.pid()), "Thread.print").redirectErrorStream(true)
            .redirectOutput(parent.resolve("demo-threads.txt").toFile()).start();
        String threads;
        try {
          threads = dump.waitFor(30, TimeUnit.SECONDS)
              ? Files.readString(parent.resolve("demo-threads.txt")) : "(jcmd gave no dump within 30 s)";
        } finally {
          dump.destroyForcibly();
        }
        throw new AssertionError("the demo did not exit within 90 s of Ctrl-C; its output:\n" + text(output)
            + "\nits threads:\n" + threads);
      }
      Deadlines.await("every node process gone", Duration.ofSeconds(30))
          .until(() -> everything.stream().noneMatch(ProcessHandle::isAlive));
      assertThat(dir).doesNotExist();
    } finally {
      if (demo.isAlive()) {
        ProcessTrees.stop(demo.toHandle(), Duration.ofSeconds(30));
      }
      TempDirs.deleteQuietly(parent);
    }
  }

  private static void read(Process p, List<String> output) {
    try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
      for (String line = r.readLine(); line != null; line = r.readLine()) {
        synchronized (output) {
          output.add(line);
        }
      }
    } catch (IOException e) {
      // the demo ended
    }
  }

  private static String text(List<String> output) {
    synchronized (output) {
      return String.join("\n", output);
    }
  }
}
