package keel.client.support;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Listeners: queued calls go out in queue order, at the flush; removed listeners hear nothing. */
@Timeout(10)
class ListenersTest {
  private final Listeners<Consumer<String>> listeners = new Listeners<>();
  private final List<String> first = Collections.synchronizedList(new ArrayList<>());
  private final List<String> second = Collections.synchronizedList(new ArrayList<>());

  @Test
  void queuedCallsWaitForTheFlushAndKeepTheirOrder() {
    listeners.add(first::add, Runnable::run);
    listeners.add(second::add, Runnable::run);
    listeners.queue(l -> l.accept("elected"));
    listeners.queue(l -> l.accept("deposed"));
    assertThat(first).as("nothing before the flush").isEmpty();
    listeners.flush();
    listeners.flush(); // a second flush finds nothing left
    assertThat(first).containsExactly("elected", "deposed");
    assertThat(second).containsExactly("elected", "deposed");
  }

  @Test
  void tellGoesOutAtOnceAndRemoveStopsIt() {
    Consumer<String> one = first::add;
    listeners.add(one, Runnable::run);
    listeners.add(second::add, Runnable::run);
    listeners.tell(l -> l.accept("a"));
    listeners.remove(one);
    listeners.tell(l -> l.accept("b"));
    assertThat(first).containsExactly("a");
    assertThat(second).containsExactly("a", "b");
  }
}
