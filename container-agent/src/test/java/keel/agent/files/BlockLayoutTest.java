package keel.agent.files;

import static java.nio.charset.StandardCharsets.ISO_8859_1;
import static java.nio.charset.StandardCharsets.UTF_8;
import static keel.agent.files.ManagedBlockFiles.block;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(10)
class BlockLayoutTest {
  private static final Path FILE = Path.of("hosts");

  @Test
  void cutsTheWorkedExampleAroundItsBlock() throws IOException {
    BlockLayout layout = parse("a\n" + block("x\n") + "b\n");

    assertThat(layout).isEqualTo(new BlockLayout("a\n", Optional.of("x\n"), "b\n"));
    assertThat(layout.render("y\nz\n")).isEqualTo("a\n" + block("y\nz\n") + "b\n");
  }

  @Test
  void withoutABlockEverythingIsBeforeAndTheBlockIsAppended() throws IOException {
    BlockLayout layout = parse("a\nb");

    assertThat(layout).isEqualTo(new BlockLayout("a\nb", Optional.empty(), ""));
    assertThat(layout.render("x\n")).isEqualTo("a\nb\n" + block("x\n"));
    assertThat(parse("").render("")).isEqualTo(block(""));
  }

  @Test
  void aBeginMarkerIsKnownByItsFirstWordsAndTheBodyKeepsItsBytes() throws IOException {
    String body = new String("Zoë\n".getBytes(UTF_8), ISO_8859_1);
    BlockLayout layout = parse("  # BEGIN keel (an older text)\n" + body + "# END keel  \n");

    assertThat(layout.body()).contains(body);
    assertThat(layout.bodyText()).contains("Zoë\n");
    assertThat(BlockLayout.normalizeBody("Zoë")).isEqualTo(body);
  }

  private static BlockLayout parse(String content) throws IOException {
    return BlockLayout.parse(FILE, content.getBytes(ISO_8859_1));
  }
}
