package keel.server.api.grpc;

import static org.assertj.core.api.Assertions.assertThat;

import com.linecorp.armeria.common.grpc.protocol.ArmeriaStatusException;
import io.grpc.Metadata;
import io.grpc.Status;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(10)
class OversizeMessagesTest {
  private final OversizeMessages handler = new OversizeMessages();

  @Test
  void armeriasFrameSizeRefusalBecomesGrpcGosText() {
    Status armeria = Status.RESOURCE_EXHAUSTED.withDescription("Server: Frame size 2202018 exceeds maximum: 2097152. ");
    Status mapped = handler.apply(null, armeria, new ArmeriaStatusException(8, armeria.getDescription()), new Metadata());
    assertThat(mapped.getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
    assertThat(mapped.getDescription()).isEqualTo("grpc: received message larger than max (2202018 vs. 2097152)");
  }

  @Test
  void theTextIsAlsoFoundInTheCauseWhenTheStatusHasNone() {
    Status mapped = handler.apply(null, Status.RESOURCE_EXHAUSTED,
        new ArmeriaStatusException(8, "Server: Frame size 10 exceeds maximum: 5. "), new Metadata());
    assertThat(mapped.getDescription()).isEqualTo("grpc: received message larger than max (10 vs. 5)");
  }

  @Test
  void otherFailuresAreLeftToTheNextHandler() {
    assertThat(handler.apply(null, Status.RESOURCE_EXHAUSTED.withDescription("etcdserver: too many requests"),
        null, new Metadata())).isNull();
    assertThat(handler.apply(null, Status.INTERNAL.withDescription("Frame size 10 exceeds maximum: 5"),
        null, new Metadata())).isNull();
  }
}
