package keel.perf.bench;

import io.etcd.jetcd.options.GetOption;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/** A read's consistency, as etcd's benchmark tool's {@code --consistency l|s} names it. */
enum Consistency {
  /** Linearizable: the member confirms it is current (ReadIndex) before it answers. */
  LINEARIZABLE("l"),
  /** Serializable: the member answers from its own store ({@code serializable=true}). */
  SERIALIZABLE("s");

  final String flag;

  Consistency(String flag) {
    this.flag = flag;
  }

  GetOption getOption() {
    return GetOption.builder().withSerializable(this == SERIALIZABLE).build();
  }

  static final class Converter implements ITypeConverter<Consistency> {
    @Override
    public Consistency convert(String value) {
      for (Consistency c : values()) {
        if (c.flag.equalsIgnoreCase(value)) {
          return c;
        }
      }
      throw new TypeConversionException("'" + value + "' is not a consistency: use l (linearizable) or s (serializable)");
    }
  }
}
