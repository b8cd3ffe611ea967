package keel.server.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** The README's table of etcd's flags says of each what the parser does with it, and names no other. */
class ServerFlagsReadmeTest {
  private static final Pattern ROW = Pattern.compile("(?m)^\\| `--([a-z0-9-]+)` \\| (taken and ignored|taken|refused)");

  @Test
  void everyFlagIsInTheReadmeTableWithWhatKeelDoesWithIt() throws IOException {
    String readme = Files.readString(Path.of("..", "README.md"), StandardCharsets.UTF_8);
    int start = readme.indexOf("### etcd's flags");
    assertThat(start).as("README has the flag table").isPositive();
    String section = readme.substring(start, readme.indexOf("\n### ", start + 1));
    Map<String, String> documented = new LinkedHashMap<>();
    Matcher row = ROW.matcher(section);
    while (row.find()) {
      documented.put(row.group(1), row.group(2));
    }
    Map<String, String> parsed = new LinkedHashMap<>();
    for (EtcdFlag flag : ServerFlags.FLAGS) {
      parsed.put(flag.name(), switch (flag.support()) {
        case USED -> "taken";
        case IGNORED -> "taken and ignored";
        case ONLY_DEFAULT -> "refused";
      });
    }
    assertThat(documented).isEqualTo(parsed);
  }
}
