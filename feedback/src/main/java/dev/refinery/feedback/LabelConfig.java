package dev.refinery.feedback;

import java.io.IOException;
import java.io.StringReader;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import javax.xml.XMLConstants;
import javax.xml.parsers.DocumentBuilder;
import javax.xml.parsers.DocumentBuilderFactory;
import javax.xml.parsers.ParserConfigurationException;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.Node;
import org.w3c.dom.NodeList;
import org.xml.sax.InputSource;
import org.xml.sax.SAXException;

/**
 * What the gateway reads from a Label Studio project's labeling configuration ({@code
 * label_config}), parsed as the XML it is: which task data field each object tag shows ({@code
 * <Text name="answer_a" value="$text1"/>}), which objects a {@code <Pairwise>} compares (left is
 * the first of its {@code toName}, right the second), the {@code <Bucket>}s of a {@code <Ranker>}
 * in the order the project lists them (best first), and the {@code maxRating} of each {@code
 * <Rating>}.
 */
record LabelConfig(
    Map<String, String> fieldOfObject,
    Map<String, List<String>> pairwise,
    Map<String, List<String>> buckets,
    Map<String, String> rankerTarget,
    Map<String, Double> maxRatings) {

  /**
   * Parses a labeling configuration.
   *
   * @throws BadPayload naming {@code field} when it is not well-formed XML
   */
  static LabelConfig parse(String xml, String field) throws BadPayload {
    Document document;
    try {
      document = builder().parse(new InputSource(new StringReader(xml)));
    } catch (SAXException | IOException e) {
      throw new BadPayload(
          field, "is not a labeling configuration the gateway can parse: " + e.getMessage());
    }
    Map<String, String> fields = new HashMap<>();
    Map<String, List<String>> pairwise = new HashMap<>();
    Map<String, List<String>> buckets = new HashMap<>();
    Map<String, String> rankerTarget = new HashMap<>();
    Map<String, Double> maxRatings = new HashMap<>();
    NodeList all = document.getElementsByTagName("*");
    for (int i = 0; i < all.getLength(); i++) {
      Element e = (Element) all.item(i);
      String tag = e.getTagName();
      String name = e.getAttribute("name");
      if (name.isEmpty()) {
        continue;
      }
      String value = e.getAttribute("value");
      if (value.startsWith("$") && value.length() > 1) {
        fields.put(name, value.substring(1));
      }
      switch (tag.toLowerCase(java.util.Locale.ROOT)) {
        case "pairwise" -> pairwise.put(name, names(e.getAttribute("toName")));
        case "ranker" -> {
          rankerTarget.put(name, e.getAttribute("toName"));
          List<String> order = new ArrayList<>();
          for (Node child = e.getFirstChild(); child != null; child = child.getNextSibling()) {
            if (child instanceof Element b && b.getTagName().equalsIgnoreCase("Bucket")) {
              order.add(b.getAttribute("name"));
            }
          }
          buckets.put(name, order);
        }
        case "rating" -> {
          String max = e.getAttribute("maxRating");
          if (max.matches("\\d+")) {
            maxRatings.put(name, Double.parseDouble(max));
          }
        }
        default -> {
          // other tags: their names and fields were read above
        }
      }
    }
    return new LabelConfig(fields, pairwise, buckets, rankerTarget, maxRatings);
  }

  private static List<String> names(String toName) {
    List<String> names = new ArrayList<>();
    for (String n : toName.split(",")) {
      if (!n.isBlank()) {
        names.add(n.strip());
      }
    }
    return names;
  }

  /** An XML parser that reads no DTD and no external entity. */
  private static DocumentBuilder builder() {
    try {
      DocumentBuilderFactory factory = DocumentBuilderFactory.newInstance();
      factory.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
      factory.setFeature(XMLConstants.FEATURE_SECURE_PROCESSING, true);
      factory.setXIncludeAware(false);
      factory.setExpandEntityReferences(false);
      DocumentBuilder builder = factory.newDocumentBuilder();
      builder.setErrorHandler(
          new org.xml.sax.ErrorHandler() {
            @Override
            public void warning(org.xml.sax.SAXParseException e) {}

            @Override
            public void error(org.xml.sax.SAXParseException e) throws SAXException {
              throw e;
            }

            @Override
            public void fatalError(org.xml.sax.SAXParseException e) throws SAXException {
              throw e;
            }
          });
      return builder;
    } catch (ParserConfigurationException e) {
      throw new IllegalStateException("the JDK's XML parser cannot be configured securely", e);
    }
  }
}
