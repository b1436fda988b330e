package dev.refinery.tokenizer;

import dev.refinery.schemas.Message;
import dev.refinery.schemas.PreferenceRows;
import dev.refinery.schemas.RewardModelPair;
import dev.refinery.schemas.TokenBatch;
import dev.refinery.schemas.TokenBytes;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Preference pairs as token batches for reward-model and DPO training: each pair is two rows, its
 * chosen sequence then its rejected one, each the prompt (a user turn) and one response (an
 * assistant turn) rendered by the chat template and padded at its end. A batch holds whole sets, so
 * the pairs of one prompt are always trained on together, as InstructGPT kept them.
 *
 * <p>A sequence longer than the context loses the start of its prompt first (TRL's {@code
 * keep_end}), then the end of its response; its span says so ({@code doc_offset} and {@code
 * doc_tokens}). The span's {@code loss_ranges} is the response: what a DPO trainer sums log
 * probabilities over; a reward model reads the span's last token.
 */
final class PairBatches {
  private PairBatches() {}

  /** The source every preference span names: the deployment's own labels. */
  static SpanSource source(String stream) {
    SpanSource s = new SpanSource();
    s.name = "feedback";
    s.kind = "UNKNOWN";
    s.spdxId = "LicenseRef-refinery-feedback";
    s.terms = "preference labels and judgements collected by this deployment";
    s.stream = stream;
    return s;
  }

  /** A pair tokenized: the prompt with each response, and where each response is. */
  static TokenizedPair tokenize(RewardModelPair p, ChatTemplate template, Tokenizer tokenizer) {
    TokenizedPair t = new TokenizedPair();
    t.pairId = p.getPairId();
    t.setId = p.getSetId();
    t.setRevision = p.getSetRevision();
    t.groupId = p.getGroupId();
    t.origin = p.getOrigin().name();
    t.margin = p.getMargin();
    t.chosenId = p.getChosenCompletionId();
    t.rejectedId = p.getRejectedCompletionId();
    ChatTemplate.Rendered chosen = render(p.getPrompt(), p.getChosen(), template, tokenizer);
    ChatTemplate.Rendered rejected = render(p.getPrompt(), p.getRejected(), template, tokenizer);
    t.chosen = chosen.tokens();
    t.chosenLoss = chosen.lossRanges();
    t.rejected = rejected.tokens();
    t.rejectedLoss = rejected.lossRanges();
    return t;
  }

  private static ChatTemplate.Rendered render(
      String prompt, String response, ChatTemplate template, Tokenizer tokenizer) {
    return template.apply(
        List.of(new Message("user", prompt), new Message("assistant", response)), tokenizer);
  }

  /** The pairs of these sets as one batch, in order: rows 2k and 2k + 1 are pair k's. */
  static TokenBatch batch(
      String stream,
      long index,
      List<PairSet> sets,
      int seqLen,
      boolean labelToken,
      Tokenizer tokenizer,
      long now) {
    int width = seqLen + (labelToken ? 1 : 0);
    List<TokenizedPair> pairs = new ArrayList<>();
    sets.forEach(s -> pairs.addAll(Arrays.asList(s.pairs)));
    int rows = pairs.size() * 2;
    int[] tokens = new int[rows * width];
    Arrays.fill(tokens, tokenizer.endOfText());
    int[] rowPadding = new int[rows];
    List<PackedSpan> spans = new ArrayList<>();
    List<PreferenceRows> described = new ArrayList<>();
    SpanSource source = source(stream);
    int padding = 0;
    for (int k = 0; k < pairs.size(); k++) {
      TokenizedPair p = pairs.get(k);
      int chosen = 2 * k;
      int rejected = 2 * k + 1;
      spans.add(place(p.chosenId, p.chosen, p.chosenLoss, chosen, seqLen, width, tokens, source));
      spans.add(
          place(p.rejectedId, p.rejected, p.rejectedLoss, rejected, seqLen, width, tokens, source));
      for (int r : new int[] {chosen, rejected}) {
        rowPadding[r] = width - spans.get(r).length;
        padding += rowPadding[r];
      }
      described.add(
          PreferenceRows.newBuilder()
              .setPairId(p.pairId)
              .setSetId(p.setId)
              .setSetRevision(p.setRevision)
              .setGroupId(p.groupId)
              .setChosen(chosen)
              .setRejected(rejected)
              .setMargin(p.margin)
              .setOrigin(p.origin)
              .build());
    }
    return TokenBatch.newBuilder()
        .setBatchId(PackFunction.batchId(stream, index))
        .setStream(stream)
        .setBatchIndex(index)
        .setTokenizer(tokenizer.name())
        .setDtype(tokenizer.dtype())
        .setSeqLen(seqLen)
        .setNumSequences(rows)
        .setTokens(TokenBytes.encode(tokens, 0, tokens.length, tokenizer.dtype()))
        .setPadToken(tokenizer.endOfText())
        .setPadding(padding)
        .setSpans(spans.stream().map(PackedSpan::toAvro).toList())
        .setCreatedAt(Instant.ofEpochMilli(now))
        .setPacking("pairs")
        .setLabelToken(labelToken)
        .setSequencePadding(Arrays.stream(rowPadding).boxed().toList())
        .setPairs(described)
        .build();
  }

  /**
   * One sequence in its row: at most {@code seqLen} tokens (with a label token the row's last
   * position stays padding), the prompt's start cut first, then the response's end.
   */
  private static PackedSpan place(
      String docId,
      int[] sequence,
      int[] response,
      int row,
      int seqLen,
      int width,
      int[] tokens,
      SpanSource source) {
    int n = sequence.length;
    int responseStart = response.length >= 2 ? response[0] : n;
    int leftCut = Math.min(Math.max(0, n - seqLen), responseStart);
    int kept = Math.min(n - leftCut, seqLen);
    System.arraycopy(sequence, leftCut, tokens, row * width, kept);
    return new PackedSpan(docId, source, row, 0, kept, leftCut, n, null, response);
  }
}
