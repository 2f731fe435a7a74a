#include "common/yaml_printer.h"

#include "gtest/gtest.h"

namespace mk {
namespace {

TEST(YamlPrinterTest, BlockStyleSortedKeys) {
  Json j = Json::parse(R"({"kind":"Pod","apiVersion":"v1",
    "metadata":{"name":"x","labels":{"app":"web"},"annotations":{}},
    "spec":{"containers":[{"name":"c","image":"nginx","ports":[{"containerPort":80}],
      "args":["a","b"]}],"nodeSelector":{}},
    "status":{"conditions":[]}})");
  EXPECT_EQ(ToYaml(j),
            "apiVersion: v1\n"
            "kind: Pod\n"
            "metadata:\n"
            "  annotations: {}\n"
            "  labels:\n"
            "    app: web\n"
            "  name: x\n"
            "spec:\n"
            "  containers:\n"
            "  - args:\n"
            "    - a\n"
            "    - b\n"
            "    image: nginx\n"
            "    name: c\n"
            "    ports:\n"
            "    - containerPort: 80\n"
            "  nodeSelector: {}\n"
            "status:\n"
            "  conditions: []\n");
}

TEST(YamlPrinterTest, Quoting) {
  EXPECT_EQ(YamlQuoteStyle("nginx"), "");
  EXPECT_EQ(YamlQuoteStyle("mydomain:5000/photo-view:v2.0"), "");
  EXPECT_EQ(YamlQuoteStyle("80"), "\"");
  EXPECT_EQ(YamlQuoteStyle("1.5"), "\"");
  EXPECT_EQ(YamlQuoteStyle("true"), "\"");
  EXPECT_EQ(YamlQuoteStyle("no"), "\"");
  EXPECT_EQ(YamlQuoteStyle("null"), "\"");
  EXPECT_EQ(YamlQuoteStyle(""), "\"");
  EXPECT_EQ(YamlQuoteStyle("*"), "'");
  EXPECT_EQ(YamlQuoteStyle("{\"a\":1}"), "'");
  EXPECT_EQ(YamlQuoteStyle("a: b"), "'");
  EXPECT_EQ(YamlQuoteStyle("- x"), "'");
  EXPECT_EQ(YamlQuoteStyle("-x"), "");
  EXPECT_EQ(YamlQuoteStyle(" lead"), "'");
  EXPECT_EQ(YamlQuoteStyle("a #b"), "'");
  Json j = {{"a", "80"}, {"b", ""},      {"c", "it's: x"}, {"d", 3},
            {"e", true}, {"f", nullptr}, {"g", 1.5}};
  EXPECT_EQ(ToYaml(j), "a: \"80\"\nb: \"\"\nc: 'it''s: x'\nd: 3\ne: true\nf: null\ng: 1.5\n");
}

TEST(YamlPrinterTest, MultilineLiteral) {
  Json j = {{"metadata", {{"annotations", {{"k", "{\"a\":1}\n"}}}}}, {"s", "l1\nl2"}};
  EXPECT_EQ(ToYaml(j),
            "metadata:\n"
            "  annotations:\n"
            "    k: |\n"
            "      {\"a\":1}\n"
            "s: |-\n"
            "  l1\n"
            "  l2\n");
}

TEST(YamlPrinterTest, NestedListsAndKeyOrder) {
  Json j = Json::parse(R"({"items":[[1,2],{"b":1,"a":{"x":[]}}],"a10":1,"a9":2,"A":3,"_x":4})");
  EXPECT_EQ(ToYaml(j),
            "_x: 4\n"  // go-yaml: non-letters sort before letters
            "A: 3\n"
            "a9: 2\n"
            "a10: 1\n"
            "items:\n"
            "- - 1\n"
            "  - 2\n"
            "- a:\n"
            "    x: []\n"
            "  b: 1\n");
  EXPECT_EQ(ToYaml(Json::object()), "{}\n");
}

}  // namespace
}  // namespace mk
