package dev.refinery.dedup.rules;

import com.google.i18n.phonenumbers.NumberParseException;
import com.google.i18n.phonenumbers.PhoneNumberUtil;
import com.google.i18n.phonenumbers.Phonenumber;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Phone numbers in running text, told from look-alikes with Google's libphonenumber (the numbering
 * plans of every region) and the words around them.
 *
 * <p>A candidate is a run of digit groups as phone numbers are written (an optional {@code +} or
 * {@code 00} country code, an area code in parentheses, groups separated by one kind of separator).
 * Dates, lists of years, binary groups and rows of one- and two-digit numbers are not candidates.
 * Then:
 *
 * <ul>
 *   <li>with a country code, it is a phone number if libphonenumber finds it valid (or possible,
 *       for the fictional ranges films use);
 *   <li>without one, it must be valid in one of the common regions ({@link #REGIONS}), and either
 *       be written in groups or follow a word that announces a number ("phone", "Tel.", "mobile",
 *       "Handy", "portable", "電話", ...);
 *   <li>a word that announces something else ("order", "invoice", "ISBN", "serial", "version",
 *       "account", ...) as the nearest keyword before it means it is not one.
 * </ul>
 */
final class PhoneNumbers {
  private static final PhoneNumberUtil UTIL = PhoneNumberUtil.getInstance();

  /** Regions whose national formats are tried, most used on the web first. */
  static final List<String> REGIONS =
      List.of(
          "US", "GB", "DE", "FR", "IN", "JP", "AU", "BR", "CN", "ES", "IT", "NL", "MX", "KR", "RU",
          "IE", "ZA", "CA", "CH", "AT", "BE", "SE", "PL");

  static final Pattern CANDIDATE =
      Pattern.compile(
          "(?<![\\p{L}\\p{N}+@/#._\\-])"
              + "(?:(?:\\+|00)[1-9]\\d{0,2}[ .\\-]?(?:\\(0\\)[ .\\-]?)?)?"
              + "(?:\\(\\d{1,5}\\)[ .\\-]?)?"
              + "\\d{1,15}(?:[ .\\-]\\d{1,8}){0,6}"
              + "(?![\\p{L}\\p{N}@/_\\-]|[.,]\\d)");

  private static final Pattern DOTTED_QUAD = Pattern.compile("\\d{1,3}(?:\\.\\d{1,3}){3}");
  private static final Pattern DATE =
      Pattern.compile("\\d{4}[-./]\\d{1,2}[-./]\\d{1,2}|\\d{1,2}[-./]\\d{1,2}[-./]\\d{2,4}");
  private static final Pattern KEYWORD =
      Pattern.compile(
          "(?iu)(?<!\\p{L})(phone|telephone|t[eé]l[eé]?(?:fono|fone|phone|efon)?|tel|call|ring|dial"
              + "|mobile?|mob|cell(?:ular)?|celular|cellulare|portable|handy|fax|whatsapp|sms"
              + "|hotline|helpline|toll-?free|freephone|contact[oa]?|kontakt|ll[aá]m[ae]me"
              + "|isbn|issn|order|invoice|ref|reference|tracking|serial|sku|part|model|version"
              + "|build|release|firmware|patent|doi|account|acct|ticket|item|lot|batch|id)(?!\\p{L})"
              + "|(電話|手机|携帯|联系)");
  private static final java.util.Set<String> NOT_A_PHONE =
      java.util.Set.of(
          "isbn",
          "issn",
          "order",
          "invoice",
          "ref",
          "reference",
          "tracking",
          "serial",
          "sku",
          "part",
          "model",
          "version",
          "build",
          "release",
          "firmware",
          "patent",
          "doi",
          "account",
          "acct",
          "ticket",
          "item",
          "lot",
          "batch",
          "id");

  private PhoneNumbers() {}

  /** Whether the candidate {@code m} found in {@code text} is a phone number. */
  static boolean isPhone(String text, Matcher m) {
    String candidate = m.group();
    int digits = (int) candidate.chars().filter(Character::isDigit).count();
    if (digits < 7 || digits > 15 || looksLikeSomethingElse(candidate)) {
      return false;
    }
    Boolean announced = context(text, m.start());
    if (Boolean.FALSE.equals(announced)) {
      return false;
    }
    String number = candidate.replace("(0)", "");
    if (number.startsWith("00")) {
      number = "+" + number.substring(2);
    }
    if (number.startsWith("+")) {
      try {
        Phonenumber.PhoneNumber parsed = UTIL.parse(number, "ZZ");
        return UTIL.isValidNumber(parsed) || UTIL.isPossibleNumber(parsed);
      } catch (NumberParseException e) {
        return false;
      }
    }
    boolean grouped = !candidate.chars().allMatch(Character::isDigit);
    if (!grouped && announced == null) {
      // a bare digit run could be anything: only a word before it makes it a phone number
      return false;
    }
    boolean possible = false;
    for (String region : REGIONS) {
      try {
        Phonenumber.PhoneNumber parsed = UTIL.parse(number, region);
        if (UTIL.isValidNumberForRegion(parsed, region)) {
          return true;
        }
        possible |=
            UTIL.isPossibleNumber(parsed)
                && region.equals(UTIL.getRegionCodeForCountryCode(parsed.getCountryCode()));
      } catch (NumberParseException e) {
        // not a number of that region
      }
    }
    // the fictional ranges (555-01xx, 07700 900xxx) are possible, not valid: announced, they count
    return possible && Boolean.TRUE.equals(announced);
  }

  /** Dates, lists of years, binary groups, rows of small numbers, decimals in a row. */
  private static boolean looksLikeSomethingElse(String candidate) {
    if (DATE.matcher(candidate).matches() || DOTTED_QUAD.matcher(candidate).matches()) {
      return true;
    }
    boolean international = candidate.startsWith("+") || candidate.startsWith("00");
    String body = candidate.replaceFirst("^(?:\\+|00)\\d{1,3}[ .\\-]?", "");
    String[] groups = body.replaceAll("[()]", "").split("[ .\\-]+");
    if (groups.length >= 2) {
      boolean years = true;
      boolean binary = true;
      int small = 0;
      for (String g : groups) {
        years &= g.length() == 4 && (g.startsWith("19") || g.startsWith("20"));
        binary &= g.length() >= 4 && g.chars().allMatch(c -> c == '0' || c == '1');
        small += g.length() <= 2 ? 1 : 0;
      }
      if (years || binary) {
        return true;
      }
      if (small >= 5 && !international && !body.startsWith("0")) {
        return true;
      }
    }
    // one kind of separator after the country code, except space with dashes; a dot never mixes
    boolean dot = body.indexOf('.') >= 0;
    return dot && (body.indexOf(' ') >= 0 || body.indexOf('-') >= 0);
  }

  /**
   * What the nearest keyword in the 30 characters before says: {@code true} a phone number, {@code
   * false} something else, {@code null} no keyword.
   */
  private static Boolean context(String text, int start) {
    String before = text.substring(Math.max(0, start - 30), start);
    Matcher k = KEYWORD.matcher(before);
    String last = null;
    while (k.find()) {
      last = (k.group(1) != null ? k.group(1) : k.group(2)).toLowerCase(Locale.ROOT);
    }
    if (last == null) {
      return null;
    }
    return !NOT_A_PHONE.contains(last);
  }
}
