#include "common/selectors.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace mk {
namespace {

using ::testing::HasSubstr;

LabelSelector L(absl::string_view s) {
  absl::StatusOr<LabelSelector> sel = LabelSelector::Parse(s);
  EXPECT_TRUE(sel.ok()) << s << ": " << sel.status();
  return sel.ok() ? *sel : LabelSelector();
}

using Labels = std::map<std::string, std::string>;

TEST(LabelSelectorTest, EqualityAndInequality) {
  EXPECT_TRUE(L("app=web").Matches(Labels{{"app", "web"}}));
  EXPECT_TRUE(L("app==web").Matches(Labels{{"app", "web"}}));
  EXPECT_FALSE(L("app=web").Matches(Labels{{"app", "db"}}));
  EXPECT_FALSE(L("app=web").Matches(Labels{}));
  EXPECT_TRUE(L("app!=web").Matches(Labels{{"app", "db"}}));
  EXPECT_FALSE(L("app!=web").Matches(Labels{{"app", "web"}}));
  EXPECT_TRUE(L("app!=web").Matches(Labels{}));  // missing key matches !=
}

TEST(LabelSelectorTest, SetBasedAndExistence) {
  LabelSelector in = L("tier in (frontend, backend)");
  EXPECT_TRUE(in.Matches(Labels{{"tier", "backend"}}));
  EXPECT_FALSE(in.Matches(Labels{{"tier", "cache"}}));
  EXPECT_FALSE(in.Matches(Labels{}));
  LabelSelector notin = L("tier notin (cache)");
  EXPECT_TRUE(notin.Matches(Labels{{"tier", "web"}}));
  EXPECT_TRUE(notin.Matches(Labels{}));  // missing key matches notin
  EXPECT_FALSE(notin.Matches(Labels{{"tier", "cache"}}));
  EXPECT_TRUE(L("gpu").Matches(Labels{{"gpu", ""}}));
  EXPECT_FALSE(L("gpu").Matches(Labels{{"cpu", "x"}}));
  EXPECT_TRUE(L("!gpu").Matches(Labels{{"cpu", "x"}}));
  EXPECT_FALSE(L("!gpu").Matches(Labels{{"gpu", "1"}}));
}

TEST(LabelSelectorTest, CommaIsAndAndWhitespaceIsTolerated) {
  LabelSelector s = L("  app = web ,  tier in(a,b) , !canary,env!=prod ");
  EXPECT_TRUE(s.Matches(Labels{{"app", "web"}, {"tier", "a"}}));
  EXPECT_FALSE(s.Matches(Labels{{"app", "web"}, {"tier", "a"}, {"canary", "1"}}));
  EXPECT_FALSE(s.Matches(Labels{{"app", "web"}, {"tier", "c"}}));
  EXPECT_FALSE(s.Matches(Labels{{"app", "web"}, {"tier", "a"}, {"env", "prod"}}));
  EXPECT_EQ(s.requirements().size(), 4u);
}

TEST(LabelSelectorTest, GreaterAndLessThan) {
  EXPECT_TRUE(L("gen>3").Matches(Labels{{"gen", "4"}}));
  EXPECT_FALSE(L("gen>3").Matches(Labels{{"gen", "3"}}));
  EXPECT_FALSE(L("gen>3").Matches(Labels{{"gen", "x"}}));
  EXPECT_TRUE(L("gen<3").Matches(Labels{{"gen", "2"}}));
  EXPECT_FALSE(L("gen<3").Matches(Labels{}));
  EXPECT_EQ(L("gen > 3").ToString(), "gen>3");
  EXPECT_FALSE(LabelSelector::Parse("gen>x").ok());
}

TEST(LabelSelectorTest, EmptyMatchesEverything) {
  LabelSelector s = L("");
  EXPECT_TRUE(s.Empty());
  EXPECT_TRUE(s.Matches(Labels{}));
  EXPECT_TRUE(s.Matches(Labels{{"a", "b"}}));
  EXPECT_TRUE(L("   ").Empty());
  EXPECT_EQ(s.ToString(), "");
}

TEST(LabelSelectorTest, EmptyValueMatchesEmptyLabel) {
  LabelSelector s = L("a=");
  EXPECT_TRUE(s.Matches(Labels{{"a", ""}}));
  EXPECT_FALSE(s.Matches(Labels{{"a", "x"}}));
  EXPECT_FALSE(s.Matches(Labels{}));
}

TEST(LabelSelectorTest, ToStringIsCanonicalSortedByKey) {
  EXPECT_EQ(L("tier in (b,a,b),app==x").ToString(), "app=x,tier in (a,b)");
  EXPECT_EQ(L("z, !y, x notin (q), w!=v").ToString(), "w!=v,x notin (q),!y,z");
  EXPECT_EQ(L("example.com/role=db").ToString(), "example.com/role=db");
}

TEST(LabelSelectorTest, ParseErrorsAreClear) {
  struct Case {
    const char* text;
    const char* fragment;
  };
  for (const Case& c : std::vector<Case>{
           {"a in (x", "expected: ',' or ')'"},
           {"a in x", "expected: '('"},
           {"a in ()", "values set can't be empty"},
           {"a b", "expected: in, notin"},
           {"a=b c", "expected: ',' or 'end of string'"},
           {"a foo (x)", "expected: in, notin, =, ==, !=, gt, lt"},
           {",a", "expected: identifier"},
           {"a=b,", "expected: identifier"},
           {"-a=b", "invalid label key \"-a\""},
           {"a=-b", "invalid label value: \"-b\""},
           {"a/b/c=d", "invalid label key"},
       }) {
    absl::StatusOr<LabelSelector> s = LabelSelector::Parse(c.text);
    ASSERT_FALSE(s.ok()) << c.text;
    EXPECT_TRUE(absl::IsInvalidArgument(s.status()));
    EXPECT_THAT(std::string(s.status().message()), HasSubstr(c.fragment)) << c.text;
  }
  std::string long_value(64, 'a');
  EXPECT_FALSE(LabelSelector::Parse("a=" + long_value).ok());
}

TEST(LabelSelectorTest, FromProto) {
  api::LabelSelector p;
  (*p.mutable_match_labels())["app"] = "x";
  api::LabelSelectorRequirement* r = p.add_match_expressions();
  r->set_key("tier");
  r->set_operator_("In");
  r->add_values("b");
  r->add_values("a");
  api::LabelSelectorRequirement* r2 = p.add_match_expressions();
  r2->set_key("canary");
  r2->set_operator_("DoesNotExist");
  api::LabelSelectorRequirement* r3 = p.add_match_expressions();
  r3->set_key("env");
  r3->set_operator_("NotIn");
  r3->add_values("prod");
  api::LabelSelectorRequirement* r4 = p.add_match_expressions();
  r4->set_key("zone");
  r4->set_operator_("Exists");
  absl::StatusOr<LabelSelector> s = LabelSelector::FromProto(p);
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->ToString(), "app=x,!canary,env notin (prod),tier in (a,b),zone");
  EXPECT_TRUE(s->Matches(Labels{{"app", "x"}, {"tier", "a"}, {"zone", "z1"}}));
  EXPECT_FALSE(s->Matches(Labels{{"app", "x"}, {"tier", "a"}}));
  EXPECT_FALSE(s->Matches(Labels{{"app", "x"}, {"tier", "a"}, {"zone", "z"}, {"canary", "1"}}));
  google::protobuf::Map<std::string, std::string> pm;
  pm["app"] = "x";
  pm["tier"] = "b";
  pm["zone"] = "";
  EXPECT_TRUE(s->Matches(pm));
  EXPECT_TRUE(LabelSelector::FromProto(api::LabelSelector())->Empty());
}

TEST(LabelSelectorTest, FromProtoErrors) {
  api::LabelSelector bad_op;
  auto* r = bad_op.add_match_expressions();
  r->set_key("a");
  r->set_operator_("Equals");
  EXPECT_EQ(LabelSelector::FromProto(bad_op).status().message(),
            "\"Equals\" is not a valid label selector operator");

  api::LabelSelector no_values;
  r = no_values.add_match_expressions();
  r->set_key("a");
  r->set_operator_("In");
  EXPECT_THAT(std::string(LabelSelector::FromProto(no_values).status().message()),
              HasSubstr("for 'in', 'notin' operators, values set can't be empty"));

  api::LabelSelector exists_values;
  r = exists_values.add_match_expressions();
  r->set_key("a");
  r->set_operator_("Exists");
  r->add_values("x");
  EXPECT_THAT(std::string(LabelSelector::FromProto(exists_values).status().message()),
              HasSubstr("values set must be empty for exists and does not exist"));

  api::LabelSelector bad_label;
  (*bad_label.mutable_match_labels())["a b"] = "x";
  EXPECT_FALSE(LabelSelector::FromProto(bad_label).ok());
}

TEST(LabelSelectorTest, FromMap) {
  LabelSelector s = LabelSelector::FromMap({{"b", "2"}, {"a", "1"}});
  EXPECT_EQ(s.ToString(), "a=1,b=2");
  EXPECT_TRUE(s.Matches(Labels{{"a", "1"}, {"b", "2"}, {"c", "3"}}));
  EXPECT_FALSE(s.Matches(Labels{{"a", "1"}}));
}

api::Pod MakePod() {
  api::Pod p;
  p.mutable_metadata()->set_name("web-1");
  p.mutable_metadata()->set_namespace_("default");
  p.mutable_spec()->set_node_name("n1");
  p.mutable_spec()->set_restart_policy("Always");
  p.mutable_status()->set_phase("Running");
  p.mutable_status()->set_pod_ip("10.0.0.5");
  return p;
}

TEST(FieldSelectorTest, PodFields) {
  api::Pod p = MakePod();
  auto fs = [](absl::string_view s) {
    absl::StatusOr<FieldSelector> f = FieldSelector::Parse("pods", s);
    EXPECT_TRUE(f.ok()) << s << ": " << f.status();
    return f.ok() ? *f : FieldSelector();
  };
  EXPECT_TRUE(fs("spec.nodeName=n1").Matches(p));
  EXPECT_TRUE(fs("spec.nodeName==n1").Matches(p));
  EXPECT_FALSE(fs("spec.nodeName=n2").Matches(p));
  EXPECT_TRUE(fs("spec.nodeName!=n2").Matches(p));
  EXPECT_TRUE(fs("metadata.name=web-1,metadata.namespace=default").Matches(p));
  EXPECT_TRUE(fs("status.phase!=Succeeded,status.phase!=Failed").Matches(p));
  EXPECT_FALSE(fs("status.phase=Pending").Matches(p));
  EXPECT_TRUE(fs("status.podIP=10.0.0.5").Matches(p));
  EXPECT_TRUE(fs("spec.restartPolicy=Always").Matches(p));
  EXPECT_TRUE(fs("spec.schedulerName=").Matches(p));  // unset field == empty value
  EXPECT_FALSE(fs("spec.schedulerName!=").Matches(p));
  EXPECT_TRUE(fs("status.nominatedNodeName=").Matches(p));
  EXPECT_TRUE(fs("spec.serviceAccountName=").Matches(p));
  EXPECT_TRUE(fs("").Empty());
  EXPECT_TRUE(fs("").Matches(p));
  api::Pod unbound = p;
  unbound.mutable_spec()->clear_node_name();
  EXPECT_TRUE(fs("spec.nodeName=").Matches(unbound));
  EXPECT_FALSE(fs("spec.nodeName=").Matches(p));
}

TEST(FieldSelectorTest, UnsupportedFieldMessageIsExact) {
  absl::StatusOr<FieldSelector> f = FieldSelector::Parse("pods", "spec.bogus=x");
  ASSERT_FALSE(f.ok());
  EXPECT_EQ(f.status().message(), "field label not supported: spec.bogus");
  EXPECT_EQ(FieldSelector::Parse("secrets", "spec.nodeName=x").status().message(),
            "field label not supported: spec.nodeName");
  EXPECT_EQ(FieldSelector::Parse("leases", "type=x").status().message(),
            "field label not supported: type");
  EXPECT_TRUE(FieldSelector::Parse("leases", "metadata.name=x").ok());
  EXPECT_TRUE(FieldSelector::Parse("serviceaccounts", "metadata.namespace=x").ok());
  absl::StatusOr<FieldSelector> noop = FieldSelector::Parse("pods", "spec.nodeName");
  ASSERT_FALSE(noop.ok());
  EXPECT_THAT(std::string(noop.status().message()), HasSubstr("invalid selector"));
}

// Found by fuzz/selectors_fuzz: "type==a==b" parsed as type = "a==b", which printed as
// "type=a==b", which no longer parsed. Kubernetes refuses an unescaped '=' in a value.
TEST(FieldSelectorTest, UnescapedEqualsInValueIsRefused) {
  for (const char* s : {"type==a==b", "type=a=b", "type!=a=b", "reason=x,type==="}) {
    absl::StatusOr<FieldSelector> f = FieldSelector::Parse("events", s);
    ASSERT_FALSE(f.ok()) << s << " parsed as " << f->ToString();
    EXPECT_EQ(f.status().message(), "invalid field selector: unescaped character in value: =");
  }
  absl::StatusOr<FieldSelector> f = FieldSelector::Parse("events", "type==Normal,reason!=x");
  ASSERT_TRUE(f.ok()) << f.status();
  EXPECT_EQ(f->ToString(), "type=Normal,reason!=x");
  EXPECT_TRUE(FieldSelector::Parse("events", f->ToString()).ok());
}

TEST(FieldSelectorTest, EventsSecretsNodes) {
  api::Event ev;
  ev.mutable_metadata()->set_name("e1");
  ev.mutable_involved_object()->set_kind("Pod");
  ev.mutable_involved_object()->set_name("web-1");
  ev.mutable_involved_object()->set_namespace_("default");
  ev.mutable_involved_object()->set_uid("u-1");
  ev.set_reason("Scheduled");
  ev.set_type("Normal");
  ev.mutable_source()->set_component("default-scheduler");
  absl::StatusOr<FieldSelector> f = FieldSelector::Parse(
      "events",
      "involvedObject.kind=Pod,involvedObject.name=web-1,involvedObject.namespace=default,"
      "involvedObject.uid=u-1,reason=Scheduled,type=Normal,source=default-scheduler");
  ASSERT_TRUE(f.ok()) << f.status();
  EXPECT_TRUE(f->Matches(ev));
  EXPECT_FALSE(FieldSelector::Parse("events", "type=Warning")->Matches(ev));

  api::Secret s;
  s.set_type("kubernetes.io/dockerconfigjson");
  EXPECT_TRUE(FieldSelector::Parse("secrets", "type=kubernetes.io/dockerconfigjson")->Matches(s));
  EXPECT_FALSE(FieldSelector::Parse("secrets", "type=Opaque")->Matches(s));

  api::Node n;
  EXPECT_TRUE(FieldSelector::Parse("nodes", "spec.unschedulable=false")->Matches(n));
  n.mutable_spec()->set_unschedulable(true);
  EXPECT_TRUE(FieldSelector::Parse("nodes", "spec.unschedulable=true")->Matches(n));
  EXPECT_FALSE(FieldSelector::Parse("nodes", "spec.unschedulable!=true")->Matches(n));
}

TEST(FieldSelectorTest, ToStringAndExactMatch) {
  absl::StatusOr<FieldSelector> f =
      FieldSelector::Parse("pods", " spec.nodeName == n1 , status.phase!=Failed");
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(f->ToString(), "spec.nodeName=n1,status.phase!=Failed");
  std::string v;
  EXPECT_TRUE(f->RequiresExactMatch("spec.nodeName", &v));
  EXPECT_EQ(v, "n1");
  EXPECT_FALSE(f->RequiresExactMatch("status.phase", &v));
  ASSERT_EQ(f->terms().size(), 2u);
  EXPECT_FALSE(f->terms()[1].equal);
}

TEST(FieldValueTest, ReadsByJsonName) {
  api::Pod p = MakePod();
  EXPECT_EQ(FieldValue(p, "spec.nodeName"), "n1");
  EXPECT_EQ(FieldValue(p, "status.podIP"), "10.0.0.5");
  EXPECT_EQ(FieldValue(p, "spec.hostNetwork"), "false");
  EXPECT_EQ(FieldValue(p, "spec.nope"), "");
  EXPECT_EQ(FieldValue(p, "spec"), "");
  EXPECT_EQ(FieldValue(p, "spec.containers"), "");
  api::ReplicaSet rs;
  rs.mutable_status()->set_replicas(3);
  EXPECT_EQ(FieldValue(rs, "status.replicas"), "3");
  EXPECT_EQ(SupportedSelectorFields("nodes"), std::vector<std::string>{"spec.unschedulable"});
}

TEST(ValidateLabelsTest, KeysAndValues) {
  std::map<std::string, std::string> ok = {
      {"app", "web"}, {"example.com/tier", "front_end-1.x"}, {"empty", ""}, {"A_b.c-D", "V"}};
  EXPECT_TRUE(ValidateLabels(ok, "metadata.labels").empty());

  std::vector<FieldError> errs =
      ValidateLabels(std::map<std::string, std::string>{{"-bad", "ok"}}, "metadata.labels");
  ASSERT_EQ(errs.size(), 1u);
  EXPECT_EQ(errs[0].field, "metadata.labels");
  EXPECT_EQ(errs[0].reason, "FieldValueInvalid");
  EXPECT_EQ(errs[0].message,
            "Invalid value: \"-bad\": name part must consist of alphanumeric characters, '-', "
            "'_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  "
            "or 'my.name',  or '123-abc', regex used for validation is "
            "'([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')");

  errs = ValidateLabels(std::map<std::string, std::string>{{"app", "bad value"}}, "spec.x");
  ASSERT_EQ(errs.size(), 1u);
  EXPECT_EQ(errs[0].field, "spec.x");
  EXPECT_THAT(errs[0].message,
              HasSubstr("Invalid value: \"bad value\": a valid label must be an empty string"));

  errs = ValidateLabels(std::map<std::string, std::string>{{"Example.com/a", "x"}}, "m");
  ASSERT_EQ(errs.size(), 1u);
  EXPECT_THAT(errs[0].message, HasSubstr("prefix part a lowercase RFC 1123 subdomain"));

  errs = ValidateLabels(std::map<std::string, std::string>{{std::string(64, 'k'), "x"}}, "m");
  ASSERT_EQ(errs.size(), 1u);
  EXPECT_THAT(errs[0].message, HasSubstr("name part must be no more than 63 characters"));

  errs = ValidateLabels(std::map<std::string, std::string>{{"a", std::string(64, 'v')}}, "m");
  ASSERT_EQ(errs.size(), 1u);
  EXPECT_THAT(errs[0].message, HasSubstr("must be no more than 63 characters"));

  google::protobuf::Map<std::string, std::string> pm;
  pm["a/"] = "x";
  errs = ValidateLabels(pm, "metadata.labels");
  ASSERT_EQ(errs.size(), 2u);  // empty name part: non-empty + regex
  EXPECT_THAT(errs[0].message, HasSubstr("name part must be non-empty"));
}

}  // namespace
}  // namespace mk
