#include "common/quantity.h"

#include "gtest/gtest.h"

namespace mk {
namespace {

Quantity Q(absl::string_view s) {
  absl::StatusOr<Quantity> q = ParseQuantity(s);
  EXPECT_TRUE(q.ok()) << s << ": " << q.status();
  return q.ok() ? *q : Quantity();
}

std::string Canon(absl::string_view s) { return Q(s).CanonicalString(); }

TEST(QuantityTest, ParsesMilliAndDecimals) {
  EXPECT_EQ(Q("50m").MilliValue(), 50);
  EXPECT_EQ(Q("0.5").MilliValue(), 500);
  EXPECT_EQ(Q("1").MilliValue(), 1000);
  EXPECT_EQ(Q("1.").MilliValue(), 1000);
  EXPECT_EQ(Q(".5").MilliValue(), 500);
  EXPECT_EQ(Q("+2").MilliValue(), 2000);
  EXPECT_EQ(Q("-250m").MilliValue(), -250);
  EXPECT_EQ(Q("100u").NanoValue(), 100000);
  EXPECT_EQ(Q("7n").NanoValue(), 7);
  EXPECT_EQ(Q("007").Value(), 7);
}

TEST(QuantityTest, ParsesBinaryAndDecimalSuffixes) {
  EXPECT_EQ(Q("300Mi").Value(), 300LL << 20);
  EXPECT_EQ(Q("1Gi").Value(), 1LL << 30);
  EXPECT_EQ(Q("1.5Gi").Value(), 3LL << 29);
  EXPECT_EQ(Q("1Ki").Value(), 1024);
  EXPECT_EQ(Q("2Ti").Value(), 2LL << 40);
  EXPECT_EQ(Q("1Pi").Value(), 1LL << 50);
  EXPECT_EQ(Q("1Ei").Value(), 1LL << 60);
  EXPECT_EQ(Q("1k").Value(), 1000);
  EXPECT_EQ(Q("2M").Value(), 2000000);
  EXPECT_EQ(Q("3G").Value(), 3000000000LL);
  EXPECT_EQ(Q("1T").Value(), 1000000000000LL);
  EXPECT_EQ(Q("1P").Value(), 1000000000000000LL);
  EXPECT_EQ(Q("1E").Value(), 1000000000000000000LL);  // "E" alone is exa
}

TEST(QuantityTest, ParsesExponents) {
  EXPECT_EQ(Q("1e3").Value(), 1000);
  EXPECT_EQ(Q("2E6").Value(), 2000000);
  EXPECT_EQ(Q("1.5e3").Value(), 1500);
  EXPECT_EQ(Q("1e-3").MilliValue(), 1);
  EXPECT_EQ(Q("5e+2").Value(), 500);
  EXPECT_EQ(Q("1E3").format(), Quantity::Format::kDecimalExponent);
  EXPECT_EQ(Q("1E").format(), Quantity::Format::kDecimalSI);
}

TEST(QuantityTest, RejectsBadInputWithKubernetesMessages) {
  for (const char* bad : {"5 Mi", "1.2.3", "", "Mi", "1Gb", "abc", ".", "-", "1 ", " 1", "1.5.Gi",
                          "--1", "1Mi ", "0x10"}) {
    absl::StatusOr<Quantity> q = ParseQuantity(bad);
    EXPECT_FALSE(q.ok()) << "'" << bad << "'";
  }
  EXPECT_EQ(ParseQuantity("5 Mi").status().message(), kQuantityFormatError);
  EXPECT_EQ(std::string(kQuantityFormatError),
            "quantities must match the regular expression "
            "'^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'");
  // Kubernetes rejects an upper-case K and a bare "e".
  EXPECT_EQ(ParseQuantity("1K").status().message(), "unable to parse quantity's suffix");
  EXPECT_EQ(ParseQuantity("1e").status().message(), "unable to parse quantity's suffix");
  EXPECT_EQ(ParseQuantity("1Mi5").status().message(), "unable to parse quantity's suffix");
  EXPECT_EQ(ParseQuantity("1KiB").status().message(), kQuantityFormatError);
  EXPECT_TRUE(absl::IsInvalidArgument(ParseQuantity("1.2.3").status()));
}

TEST(QuantityTest, RoundsSubNanoUpAndValueUp) {
  EXPECT_EQ(Q("0.1n").NanoValue(), 1);
  EXPECT_EQ(Q("1.5n").NanoValue(), 2);
  EXPECT_EQ(Q("100m").Value(), 1);  // rounded up like Kubernetes' Value()
  EXPECT_EQ(Q("1001m").Value(), 2);
  EXPECT_EQ(Q("1500u").MilliValue(), 2);
  EXPECT_EQ(Q("-1500m").Value(), -2);  // away from zero
  EXPECT_EQ(Q("0").Value(), 0);
}

TEST(QuantityTest, CanonicalFormsMatchKubernetes) {
  EXPECT_EQ(Canon("0.5"), "500m");
  EXPECT_EQ(Canon("1000m"), "1");
  EXPECT_EQ(Canon("1024Mi"), "1Gi");
  EXPECT_EQ(Canon("300Mi"), "300Mi");
  EXPECT_EQ(Canon("1.5Gi"), "1536Mi");
  EXPECT_EQ(Canon("0.5Gi"), "512Mi");
  EXPECT_EQ(Canon("1000Mi"), "1000Mi");
  EXPECT_EQ(Canon("0.5Ki"), "512");  // binary below 1Ki prints as decimal
  EXPECT_EQ(Canon("1Ki"), "1Ki");
  EXPECT_EQ(Canon("1.5"), "1500m");
  EXPECT_EQ(Canon("1000"), "1k");
  EXPECT_EQ(Canon("1500"), "1500");
  EXPECT_EQ(Canon("1500000"), "1500k");
  EXPECT_EQ(Canon("2000000000"), "2G");
  EXPECT_EQ(Canon("100m"), "100m");
  EXPECT_EQ(Canon("0.0001"), "100u");
  EXPECT_EQ(Canon("1e3"), "1e3");  // decimal exponent keeps its format (Kubernetes)
  EXPECT_EQ(Canon("1e-3"), "1e-3");
  EXPECT_EQ(Canon("1.5e3"), "1500");
  EXPECT_EQ(Canon("12e6"), "12e6");
  EXPECT_EQ(Canon("0"), "0");
  EXPECT_EQ(Canon("0Mi"), "0");
  EXPECT_EQ(Canon("-0"), "0");
  EXPECT_EQ(Canon("-1"), "-1");
  EXPECT_EQ(Canon("-1Gi"), "-1Gi");
  EXPECT_EQ(Canon("-0.5"), "-500m");
  EXPECT_EQ(Canon("1Ei"), "1Ei");
  EXPECT_EQ(Canon("1024Ei"), "1024Ei");
  EXPECT_EQ(Canon("1E"), "1E");
  EXPECT_EQ(Canon("1000E"), "1000E");
  EXPECT_EQ(Canon("7n"), "7n");
}

TEST(QuantityTest, LargeValuesStayExact) {
  Quantity q = Q("8Ei");
  EXPECT_EQ(q.CanonicalString(), "8Ei");
  EXPECT_EQ(q.Value(), INT64_MAX);  // saturates like Kubernetes' int64 view
  EXPECT_EQ(q.MilliValue(), INT64_MAX);
  EXPECT_GT(q, Q("7Ei"));
  EXPECT_EQ(Q("4Ei") + Q("4Ei"), q);
  EXPECT_FALSE(ParseQuantity("1e40").ok());
  EXPECT_EQ(ParseQuantity("1e40").status().message(), "quantity is too large");
}

// Found by fuzz/quantity_fuzz: large quantities print as a nano count of up to 38 digits
// ("9320675555555555555475294402725806080n"), which the parser refused (it kept 36 digits).
TEST(QuantityTest, EveryPrintedFormParsesBack) {
  Quantity q = Q("8888888888888888888812.3458888300Mi");
  std::string printed = q.CanonicalString();
  EXPECT_EQ(printed, "9320675555555555555475294402725806080n");
  ASSERT_TRUE(ParseQuantity(printed).ok()) << ParseQuantity(printed).status();
  EXPECT_EQ(Q(printed), q);
  EXPECT_EQ(Q("12345678901234567890123456789012345678n").CanonicalString(),
            "12345678901234567890123456789012345678n");
  EXPECT_EQ(Q("1234567890123456789012345678901234567.8n").CanonicalString(),
            "1234567890123456789012345678901234568n");  // sub-nano rounds up
  EXPECT_EQ(ParseQuantity("99999999999999999999999999999999999999n").status().message(),
            "quantity is too large");
  EXPECT_EQ(ParseQuantity("123456789012345678901234567890123456789").status().message(),
            "quantity is too large");
}

TEST(QuantityTest, CompareAddSubtract) {
  EXPECT_TRUE(Q("500m") < Q("1"));
  EXPECT_TRUE(Q("1Gi") > Q("1G"));
  EXPECT_TRUE(Q("1000m") == Q("1"));
  EXPECT_TRUE(Q("1k") == Q("1e3"));
  EXPECT_TRUE(Q("1") != Q("2"));
  EXPECT_TRUE(Q("1") <= Q("1"));
  EXPECT_TRUE(Q("1") >= Q("1"));
  EXPECT_EQ(Q("1").Cmp(Q("2")), -1);
  EXPECT_EQ(Q("2").Cmp(Q("2000m")), 0);
  EXPECT_EQ(Q("3").Cmp(Q("2")), 1);

  Quantity sum = Q("100m") + Q("250m");
  EXPECT_EQ(sum.MilliValue(), 350);
  EXPECT_EQ(sum.CanonicalString(), "350m");
  Quantity mem = Q("512Mi");
  mem += Q("512Mi");
  EXPECT_EQ(mem.CanonicalString(), "1Gi");
  mem -= Q("1Gi");
  EXPECT_TRUE(mem.IsZero());
  Quantity neg = Q("1") - Q("3");
  EXPECT_TRUE(neg.IsNegative());
  EXPECT_EQ(neg.CanonicalString(), "-2");
  EXPECT_EQ((-Q("2")).MilliValue(), -2000);
}

TEST(QuantityTest, ZeroTakesTheFormatOfWhatIsAdded) {
  Quantity total;  // zero, DecimalSI
  total += Q("128Mi");
  total += Q("128Mi");
  EXPECT_EQ(total.format(), Quantity::Format::kBinarySI);
  EXPECT_EQ(total.CanonicalString(), "256Mi");
  Quantity cpu = Q("1");
  cpu += Q("1Gi");  // non-zero keeps its own format
  EXPECT_EQ(cpu.format(), Quantity::Format::kDecimalSI);
}

TEST(QuantityTest, Constructors) {
  EXPECT_EQ(Quantity::FromMilli(1500).CanonicalString(), "1500m");
  EXPECT_EQ(Quantity::FromValue(2).CanonicalString(), "2");
  EXPECT_EQ(Quantity::FromValue(1 << 30, Quantity::Format::kBinarySI).CanonicalString(), "1Gi");
  EXPECT_EQ(Quantity::FromNano(5).CanonicalString(), "5n");
  EXPECT_EQ(Quantity().CanonicalString(), "0");
  EXPECT_EQ(Quantity::FromMilli(250).ToString(), "250m");
  EXPECT_DOUBLE_EQ(Q("1.5").AsApproximateFloat64(), 1.5);
  EXPECT_EQ(MustParseQuantity("2Gi").Value(), 2LL << 30);
  EXPECT_TRUE(MustParseQuantity("garbage").IsZero());
}

TEST(QuantityTest, DescribeHelpers) {
  EXPECT_EQ(FormatCpuMilli(100), "100m");
  EXPECT_EQ(FormatCpuMilli(2000), "2");
  EXPECT_EQ(FormatCpuMilli(1500), "1500m");
  EXPECT_EQ(FormatCpuMilli(0), "0");
  EXPECT_EQ(FormatMemoryBytes(1LL << 30), "1Gi");
  EXPECT_EQ(FormatMemoryBytes(300LL << 20), "300Mi");
  EXPECT_EQ(FormatMemoryBytes(1536), "1536");
  EXPECT_EQ(FormatMemoryBytes(1000), "1k");  // below 1Ki prints as decimal (Kubernetes)
  EXPECT_EQ(FormatMemoryBytes(999), "999");
  EXPECT_EQ(FormatMemoryBytes(0), "0");
  EXPECT_EQ(PercentOf(Q("500m"), Q("2")), 25);
  EXPECT_EQ(PercentOf(Q("1Gi"), Q("3Gi")), 33);
  EXPECT_EQ(PercentOf(Q("1"), Quantity()), 0);
}

TEST(QuantityTest, StreamsCanonicalForm) {
  std::ostringstream os;
  os << Q("2048Ki");
  EXPECT_EQ(os.str(), "2Mi");
}

}  // namespace
}  // namespace mk
