package dev.refinery.tokenizer;

/**
 * A record of corpus.clean.v1 as it came, decoded later so that bad bytes can be routed, not
 * thrown.
 */
public class RawRecord {
  public String key;
  public byte[] value;
  public String topic;
  public int partition;
  public long offset;

  public RawRecord() {}

  public RawRecord(String key, byte[] value, String topic, int partition, long offset) {
    this.key = key;
    this.value = value;
    this.topic = topic;
    this.partition = partition;
    this.offset = offset;
  }

  String location() {
    return topic + "-" + partition + "@" + offset;
  }
}
