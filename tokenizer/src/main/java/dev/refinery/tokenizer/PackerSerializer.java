package dev.refinery.tokenizer;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import org.apache.flink.api.common.typeutils.SimpleTypeSerializerSnapshot;
import org.apache.flink.api.common.typeutils.TypeSerializer;
import org.apache.flink.api.common.typeutils.TypeSerializerSnapshot;
import org.apache.flink.core.memory.DataInputView;
import org.apache.flink.core.memory.DataOutputView;

/**
 * Flink's serializer of a stream's {@link Packer}, in the packer's own versioned binary form. With
 * the heap state backend the packer lives as an object and is only written at checkpoints.
 */
public final class PackerSerializer extends TypeSerializer<Packer> {
  private static final long serialVersionUID = 1L;
  static final PackerSerializer INSTANCE = new PackerSerializer();

  @Override
  public boolean isImmutableType() {
    return false;
  }

  @Override
  public TypeSerializer<Packer> duplicate() {
    return this;
  }

  @Override
  public Packer createInstance() {
    return null;
  }

  @Override
  public Packer copy(Packer from) {
    try {
      ByteArrayOutputStream bytes = new ByteArrayOutputStream();
      from.write(new DataOutputStream(bytes));
      return Packer.read(new DataInputStream(new ByteArrayInputStream(bytes.toByteArray())));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Override
  public Packer copy(Packer from, Packer reuse) {
    return copy(from);
  }

  @Override
  public int getLength() {
    return -1;
  }

  @Override
  public void serialize(Packer packer, DataOutputView target) throws IOException {
    packer.write(target);
  }

  @Override
  public Packer deserialize(DataInputView source) throws IOException {
    return Packer.read(source);
  }

  @Override
  public Packer deserialize(Packer reuse, DataInputView source) throws IOException {
    return deserialize(source);
  }

  @Override
  public void copy(DataInputView source, DataOutputView target) throws IOException {
    serialize(deserialize(source), target);
  }

  @Override
  public boolean equals(Object obj) {
    return obj instanceof PackerSerializer;
  }

  @Override
  public int hashCode() {
    return PackerSerializer.class.hashCode();
  }

  @Override
  public TypeSerializerSnapshot<Packer> snapshotConfiguration() {
    return new Snapshot();
  }

  /** The serializer has no configuration: its format carries its own version. */
  public static final class Snapshot extends SimpleTypeSerializerSnapshot<Packer> {
    public Snapshot() {
      super(() -> INSTANCE);
    }
  }
}
