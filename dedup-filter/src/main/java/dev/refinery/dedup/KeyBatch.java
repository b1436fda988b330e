package dev.refinery.dedup;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.utils.Utils;

/**
 * The dedup keys of one document that live in one partition of {@code dedup-by-key}, with the
 * members that hold them: one record a partition rather than one a key (a web document has 16 keys,
 * and the by-key topic as many partitions as {@code corpus.raw.v1}, so 4 to 8 records instead of
 * 16, and as many answers back). Its record key is one of its dedup keys: every key of the batch
 * hashes to the same partition, so the producer's partitioner puts it where a record of any of its
 * keys would go, and a task keeps the keys it kept before.
 *
 * <p>Format (internal to the stage, on {@code dedup-by-key} and in {@code dedup-pending}): {@code
 * 0x20}, the count of members (int16) and each as its length (int16) and {@link Member} bytes, then
 * the count of keys (int16) and each as its length (int16), its encoded {@link DedupKey} (UTF-8)
 * and the index of its member (int16). The leading byte tells it from a single {@link Member} (of
 * the records one a key, whose first byte is {@code 0x00}, {@code 0xFF}, {@code 0x01}, {@code 0x02}
 * or {@code 0x03}).
 *
 * @param keys the encoded dedup keys, each with the member that holds it
 */
record KeyBatch(List<Map.Entry<String, Member>> keys) {
  static final byte VERSION = 0x20;

  /** Whether a {@code dedup-by-key} value (or held answer) is a batch, not a single member. */
  static boolean is(byte[] value) {
    return value.length > 0 && value[0] == VERSION;
  }

  /**
   * The partition of {@code dedup-by-key} a key goes to: the producer's partitioner for a string
   * key (murmur2 of its UTF-8 bytes), so a batch goes where the key's own record would.
   */
  static int partitionOf(String key, int partitions) {
    return Utils.toPositive(Utils.murmur2(key.getBytes(StandardCharsets.UTF_8))) % partitions;
  }

  /** The keys grouped by the partition each goes to, in the order of their first key. */
  static List<KeyBatch> group(List<DedupKey> keys, List<Member> members, int partitions) {
    Map<Integer, List<Map.Entry<String, Member>>> byPartition = new LinkedHashMap<>();
    for (int i = 0; i < keys.size(); i++) {
      String key = keys.get(i).encode();
      byPartition
          .computeIfAbsent(partitionOf(key, partitions), p -> new ArrayList<>())
          .add(Map.entry(key, members.get(i)));
    }
    return byPartition.values().stream().map(KeyBatch::new).toList();
  }

  /** The record key: the batch's first dedup key. */
  String recordKey() {
    return keys.get(0).getKey();
  }

  /** The member of the document's text, else its first: it names the document. */
  Member document() {
    return keys.stream()
        .map(Map.Entry::getValue)
        .filter(m -> m.part() == Member.TEXT)
        .findFirst()
        .orElse(keys.get(0).getValue());
  }

  byte[] toBytes() {
    // a document has one text member and one per image: each is written once
    Map<Member, Integer> index = new IdentityHashMap<>();
    List<byte[]> members = new ArrayList<>();
    List<byte[]> names = new ArrayList<>(keys.size());
    int size = 1 + 2 + 2;
    for (Map.Entry<String, Member> e : keys) {
      if (!index.containsKey(e.getValue())) {
        index.put(e.getValue(), members.size());
        byte[] m = e.getValue().toBytes();
        members.add(m);
        size += 2 + m.length;
      }
      byte[] name = e.getKey().getBytes(StandardCharsets.UTF_8);
      names.add(name);
      size += 2 + name.length + 2;
    }
    ByteBuffer out = ByteBuffer.allocate(size).put(VERSION).putShort((short) members.size());
    for (byte[] m : members) {
      out.putShort((short) m.length).put(m);
    }
    out.putShort((short) keys.size());
    for (int i = 0; i < keys.size(); i++) {
      out.putShort((short) names.get(i).length)
          .put(names.get(i))
          .putShort((short) (int) index.get(keys.get(i).getValue()));
    }
    return out.array();
  }

  static KeyBatch fromBytes(byte[] bytes) {
    ByteBuffer in = ByteBuffer.wrap(bytes);
    byte version = in.get();
    if (version != VERSION) {
      throw new IllegalArgumentException("unknown key batch version " + version);
    }
    int memberCount = in.getShort() & 0xFFFF;
    List<Member> members = new ArrayList<>(memberCount);
    for (int i = 0; i < memberCount; i++) {
      int length = in.getShort();
      members.add(Member.read(in.slice(in.position(), length)));
      in.position(in.position() + length);
    }
    int keyCount = in.getShort() & 0xFFFF;
    List<Map.Entry<String, Member>> keys = new ArrayList<>(keyCount);
    for (int i = 0; i < keyCount; i++) {
      byte[] name = new byte[in.getShort()];
      in.get(name);
      keys.add(
          Map.entry(new String(name, StandardCharsets.UTF_8), members.get(in.getShort() & 0xFFFF)));
    }
    return new KeyBatch(keys);
  }
}
