package dev.refinery.dedup.rules;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Optional;
import java.util.function.BiPredicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Replaces personal data with typed placeholders and counts it: email addresses ({@code
 * [EMAIL_ADDRESS]}), public IPv4 and IPv6 addresses ({@code [IP_ADDRESS]}; private, loopback,
 * link-local and reserved ranges stay), payment card numbers that pass the Luhn check ({@code
 * [CREDIT_CARD]}), US social security numbers with a valid area, group and serial, dashed, spaced,
 * or bare after a word that names one ({@code [US_SSN]}), and phone numbers of any region, told
 * from look-alikes by libphonenumber and the words around them ({@link PhoneNumbers}; {@code
 * [PHONE_NUMBER]}). Addresses after a version word ({@code version 1.2.3.4}) are left alone. The
 * counts become the signals {@code pii_email_address} and so on. It never rejects.
 */
public final class PiiRedactor extends Rule {
  public static final String NAME = "pii";

  /**
   * RFC 5322's dot-atom local part (letters and digits of any script, and {@code
   * !#$%&'*+/=?^_`{|}~-}, an apostrophe not first), an internationalised domain name.
   */
  private static final Pattern EMAIL =
      Pattern.compile(
          "(?<![\\p{L}\\p{N}.!#$%&*+/=?^_`{|}~-])"
              + "[\\p{L}\\p{N}!#$%&*+/=?^_`{|}~-][\\p{L}\\p{N}!#$%&'*+/=?^_`{|}~.-]{0,63}"
              + "@[\\p{L}\\p{N}](?:[\\p{L}\\p{N}-]{0,62}[\\p{L}\\p{N}])?"
              + "(?:\\.[\\p{L}\\p{N}](?:[\\p{L}\\p{N}-]{0,62}[\\p{L}\\p{N}])?)*\\.\\p{L}{2,24}"
              + "(?![\\p{L}\\p{N}-])");

  private static final String OCTET = "(?:25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)";
  private static final Pattern IPV4 =
      Pattern.compile("(?<![\\d.])" + OCTET + "(?:\\." + OCTET + "){3}(?![\\d.]|\\.\\d)");
  private static final Pattern IPV6 =
      Pattern.compile(
          "(?i)(?<![\\w:])(?:[0-9a-f]{1,4}:){1,7}(?::|[0-9a-f]{1,4})(?:[:0-9a-f]*)(?![\\w:])");
  private static final Pattern CARD =
      Pattern.compile("(?<![\\d-])(?:\\d[ -]?){12,18}\\d(?![\\d-])");

  /** Dashed or spaced. */
  private static final Pattern SSN =
      Pattern.compile("(?<![\\d-])\\d{3}([- ])\\d{2}\\1\\d{4}(?![\\d-])");

  /** Nine bare digits after a word that names a social security number. */
  private static final Pattern NAMED_SSN =
      Pattern.compile(
          "(?i:\\bssn|\\bsocial security(?: number)?|\\bss#|\\bss no\\.?)[:#]?\\s{0,3}(?<n>\\d{9})(?![\\d-])");

  private static final Pattern VERSION_BEFORE =
      Pattern.compile(
          "(?i)(?:\\bv|\\bver\\.?|version|release|build|firmware|kernel|update|patch|rev\\.?"
              + "|section|sec\\.|§|chapter|clause|article|art\\.|paragraph|para\\.|step|rule"
              + "|table|figure|fig\\.|appendix|item|no\\.)\\s*$");

  public PiiRedactor() {
    super(NAME);
  }

  @Override
  public Optional<Rejection> apply(Screened doc) {
    int[] counts = new int[5];
    String text = redact(doc.text(), counts, true);
    doc.signal("pii_email_address", counts[0]);
    doc.signal("pii_credit_card", counts[1]);
    doc.signal("pii_us_ssn", counts[2]);
    doc.signal("pii_ip_address", counts[3]);
    doc.signal("pii_phone_number", counts[4]);
    if (counts[0] + counts[1] + counts[2] + counts[3] + counts[4] > 0) {
      doc.rewrite(text);
    }
    return Optional.empty();
  }

  /**
   * The text with its PII replaced, counted into {@code counts} (e-mail, card, SSN, IP, phone).
   * {@code skipping}: each pattern is tried only where a match of it can start (a digit for an IPv4
   * address, a card or an SSN; up to 64 characters before an {@code @} for an e-mail address; a
   * digit, {@code +} or {@code (} for a phone number; hex digits before a colon for an IPv6
   * address), which finds what a scan of every position finds, faster.
   */
  static String redact(String text, int[] counts, boolean skipping) {
    // one scan for what each kind needs at the least; a pattern that cannot match is not run
    Hints hints = Hints.of(text);
    if (hints.at) {
      text =
          replace(text, EMAIL, (t, m) -> true, "[EMAIL_ADDRESS]", counts, 0, skipping ? AT : null);
    }
    Seek digits = skipping ? DIGIT : null;
    if (hints.longestDigitRun >= 13) {
      text = replace(text, CARD, (t, m) -> isCard(m.group()), "[CREDIT_CARD]", counts, 1, digits);
    }
    if (hints.longestDigitRun >= 9) {
      text = replace(text, SSN, (t, m) -> isSsn(m.group()), "[US_SSN]", counts, 2, digits);
    }
    if (hasNineDigitRun(text)) {
      text = replace(text, NAMED_SSN, (t, m) -> isSsn(m.group("n")), "[US_SSN]", counts, 2, null);
    }
    if (hints.digitDotDigit) {
      text = replace(text, IPV4, PiiRedactor::isAddress, "[IP_ADDRESS]", counts, 3, digits);
    }
    if (hints.hexColon) {
      Seek hexes = skipping ? HEXES_BEFORE_COLON : null;
      text = replace(text, IPV6, PiiRedactor::isAddress, "[IP_ADDRESS]", counts, 3, hexes);
    }
    if (hints.digit) {
      text = phones(text, counts, skipping);
    }
    return text;
  }

  /**
   * Phone numbers replaced; {@code skipping}: the candidate pattern is tried only where a candidate
   * can start (a digit, {@code +} or {@code (}), which finds the same candidates as a scan of every
   * position, faster.
   */
  static String phones(String text, int[] counts, boolean skipping) {
    return replace(
        text,
        PhoneNumbers.CANDIDATE,
        PhoneNumbers::isPhone,
        "[PHONE_NUMBER]",
        counts,
        4,
        skipping ? PHONE_START : null);
  }

  /**
   * Where a match of a pattern can start: the first such position at or after {@code from}, or -1.
   * Every position where a match starts must be one (others may be too).
   */
  @FunctionalInterface
  private interface Seek {
    int next(String text, int from);
  }

  /** A match of a pattern that opens with a digit starts at one. */
  private static final Seek DIGIT = firstOf(c -> c >= '0' && c <= '9');

  /** A phone number candidate starts at a digit, {@code +} or {@code (}. */
  private static final Seek PHONE_START =
      firstOf(c -> (c >= '0' && c <= '9') || c == '+' || c == '(');

  /** The first character at or after {@code from} that {@code starts} accepts. */
  private static Seek firstOf(java.util.function.IntPredicate starts) {
    return (text, from) -> {
      for (int p = from; p < text.length(); p++) {
        if (starts.test(text.charAt(p))) {
          return p;
        }
      }
      return -1;
    };
  }

  /**
   * An IPv6 address starts with one to four hex digits and a colon, after no hex digit: at the
   * first hex digit of at most four that a colon ends. A time of day ({@code 12:30}) has such a
   * colon too, so the pattern is tried at every one of them, but not at every character of the
   * text.
   */
  private static final Seek HEXES_BEFORE_COLON =
      (text, from) -> {
        for (int colon = text.indexOf(':', from);
            colon >= 0;
            colon = text.indexOf(':', colon + 1)) {
          int start = colon;
          while (start > from && colon - start < 4 && Hints.isHex(text.charAt(start - 1))) {
            start--;
          }
          if (start < colon) {
            return start;
          }
        }
        return -1;
      };

  /**
   * An e-mail address holds an {@code @} after a local part of at most 64 characters, so it starts
   * at most 64 characters before an {@code @}.
   */
  private static final Seek AT =
      (text, from) -> {
        int at = text.indexOf('@', from);
        return at < 0 ? -1 : Math.max(from, at - 64);
      };

  /**
   * Every match that is valid replaced by the placeholder. With {@code seek}, a match is looked for
   * only from where {@code seek} says one can start (the pattern's lookbehind still sees the text
   * before); without, from every position ({@link Matcher#find()}).
   */
  private static String replace(
      String text,
      Pattern pattern,
      BiPredicate<String, Matcher> valid,
      String placeholder,
      int[] counts,
      int slot,
      Seek seek) {
    Matcher m = pattern.matcher(text);
    if (seek != null) {
      m.useTransparentBounds(true).useAnchoringBounds(false);
    }
    StringBuilder out = null;
    int last = 0;
    int from = 0;
    int n = text.length();
    while (seek == null ? m.find() : next(m, text, from, n, seek)) {
      from = Math.max(m.end(), m.start() + 1);
      if (!valid.test(text, m)) {
        continue;
      }
      if (out == null) {
        out = new StringBuilder(text.length());
      }
      boolean named = m.pattern().pattern().contains("(?<n>");
      out.append(text, last, named ? m.start("n") : m.start()).append(placeholder);
      last = named ? m.end("n") : m.end();
      counts[slot]++;
    }
    return out == null ? text : out.append(text, last, text.length()).toString();
  }

  /** The next match at or after {@code from} that starts where {@code seek} says one can. */
  private static boolean next(Matcher m, String text, int from, int n, Seek seek) {
    for (int p = seek.next(text, from); p >= 0 && p < n; p = seek.next(text, p + 1)) {
      m.region(p, n);
      if (m.lookingAt()) {
        return true;
      }
    }
    return false;
  }

  /** 13 to 19 digits of a card network's range that pass the Luhn check. */
  static boolean isCard(String candidate) {
    String digits = candidate.replaceAll("[ -]", "");
    if (digits.length() < 13 || digits.length() > 19 || "3456".indexOf(digits.charAt(0)) < 0) {
      return false;
    }
    int sum = 0;
    boolean twice = false;
    for (int i = digits.length() - 1; i >= 0; i--) {
      int d = digits.charAt(i) - '0';
      if (twice) {
        d *= 2;
        if (d > 9) {
          d -= 9;
        }
      }
      sum += d;
      twice = !twice;
    }
    return sum % 10 == 0;
  }

  /**
   * What the text has that each kind of PII needs: an {@code @} (e-mail), a digit (phone), a digit,
   * a dot and a digit (IPv4), a hex digit, a colon and a hex digit or colon (IPv6), and its longest
   * run of digits with at most one space or dash between two of them (13 for a card, 9 for an SSN).
   * Redaction replaces with placeholders that add none of these, so the hints of the original text
   * hold for every step.
   */
  record Hints(
      boolean at, boolean digit, boolean digitDotDigit, boolean hexColon, int longestDigitRun) {
    static Hints of(String text) {
      boolean at = false;
      boolean digit = false;
      boolean digitDotDigit = false;
      boolean hexColon = false;
      int longest = 0;
      int run = 0;
      boolean separator = false; // the last character was one space or dash after a digit
      int n = text.length();
      for (int i = 0; i < n; i++) {
        char c = text.charAt(i);
        if (c >= '0' && c <= '9') {
          digit = true;
          run++;
          separator = false;
          longest = Math.max(longest, run);
          continue;
        }
        if ((c == ' ' || c == '-') && run > 0 && !separator) {
          separator = true;
        } else {
          run = 0;
          separator = false;
        }
        if (c == '@') {
          at = true;
        } else if (c == '.' && i > 0 && i + 1 < n) {
          digitDotDigit |= isDigit(text.charAt(i - 1)) && isDigit(text.charAt(i + 1));
        } else if (c == ':' && i > 0 && i + 1 < n) {
          char next = text.charAt(i + 1);
          hexColon |= isHex(text.charAt(i - 1)) && (next == ':' || isHex(next));
        }
      }
      return new Hints(at, digit, digitDotDigit, hexColon, longest);
    }

    private static boolean isDigit(char c) {
      return c >= '0' && c <= '9';
    }

    private static boolean isHex(char c) {
      return isDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
    }
  }

  /** Whether nine digits in a row occur: a cheap test before the named-SSN pattern. */
  private static boolean hasNineDigitRun(String text) {
    int run = 0;
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      run = c >= '0' && c <= '9' ? run + 1 : 0;
      if (run == 9) {
        return true;
      }
    }
    return false;
  }

  /** Area 001-899 but not 666, group not 00, serial not 0000 (the SSA's rules). */
  static boolean isSsn(String candidate) {
    String digits = candidate.replaceAll("\\D", "");
    int area = Integer.parseInt(digits.substring(0, 3));
    int group = Integer.parseInt(digits.substring(3, 5));
    int serial = Integer.parseInt(digits.substring(5, 9));
    return area != 0 && area != 666 && area < 900 && group != 0 && serial != 0;
  }

  /**
   * A public address that is not a version or a section number ({@code version 1.2.3.4}, {@code
   * section 4.2.1.3}).
   */
  private static boolean isAddress(String text, Matcher m) {
    String before = text.substring(Math.max(0, m.start() - 20), m.start());
    return isPublicIp(m.group()) && !VERSION_BEFORE.matcher(before).find();
  }

  /**
   * An address on the public internet: not private, loopback, link-local, multicast or reserved.
   */
  static boolean isPublicIp(String candidate) {
    if (candidate.indexOf(':') >= 0 && candidate.chars().filter(c -> c == ':').count() < 2) {
      return false;
    }
    InetAddress address;
    try {
      // a literal is parsed, never looked up
      address =
          InetAddress.getByName(candidate.indexOf(':') >= 0 ? "[" + candidate + "]" : candidate);
    } catch (UnknownHostException | SecurityException e) {
      return false;
    }
    if (address.isAnyLocalAddress()
        || address.isLoopbackAddress()
        || address.isLinkLocalAddress()
        || address.isSiteLocalAddress()
        || address.isMulticastAddress()) {
      return false;
    }
    byte[] b = address.getAddress();
    if (address instanceof Inet4Address) {
      int first = b[0] & 0xff;
      int second = b[1] & 0xff;
      return first != 0
          && first < 224
          && !(first == 100 && second >= 64 && second < 128)
          && !(first == 192 && second == 0 && (b[2] & 0xff) == 2)
          && !(first == 198 && (second == 18 || second == 19))
          && !(first == 198 && second == 51 && (b[2] & 0xff) == 100)
          && !(first == 203 && second == 0 && (b[2] & 0xff) == 113);
    }
    if (address instanceof Inet6Address) {
      int top = b[0] & 0xff;
      // unique local fc00::/7 and documentation 2001:db8::/32 are not public
      return (top & 0xfe) != 0xfc
          && !(top == 0x20
              && (b[1] & 0xff) == 0x01
              && (b[2] & 0xff) == 0x0d
              && (b[3] & 0xff) == 0xb8)
          && (top & 0xe0) == 0x20;
    }
    return false;
  }
}
