// The platform's receive fast paths give what the full paths give:
//   - fast_route_telemetry() answers only where parse_gateway_payload() +
//     route() would give the same targets and values with no warning, and
//     stays out of the way (nullopt) everywhere else;
//   - unwrap_envelope()'s scan agrees with reading the envelope as JSON;
//   - receive() with FastOutputs hands over what it would have reported.
// Besides hand-picked cases, the tricky inputs every JSON fast path is checked
// with (json_tricky_inputs.hpp) and random mutations of real payloads check
// the first two against the full paths.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "gateway/base64.hpp"
#include "gateway/envelope.hpp"
#include "gateway/platform_role.hpp"
#include "gateway/telemetry_fast.hpp"
#include "gateway_seed_examples.hpp"
#include "json_tricky_inputs.hpp"

namespace tpgate::gateway {
namespace {

using namespace seed;

// What the full path gives when it accepts the message without warnings.
std::optional<std::vector<Routed>> full_route(std::string_view text, const PayloadLimits& limits = {}) {
  auto parsed = parse_gateway_payload(PayloadKind::Telemetry, text, limits);
  if (!parsed || !parsed->warnings.empty()) return std::nullopt;
  return route(parsed->root);
}

// Same targets, same values, same JSON types (nlohmann's == would call 26 and
// 26.0 equal; the dump tells them apart) and the same -0.0.
void expect_same(const std::vector<Routed>& fast, const std::vector<Routed>& full, std::string_view text) {
  ASSERT_EQ(fast.size(), full.size()) << text;
  for (std::size_t i = 0; i < fast.size(); ++i) {
    EXPECT_EQ(fast[i].target, full[i].target) << text;
    EXPECT_EQ(fast[i].body, full[i].body) << text;
    EXPECT_EQ(fast[i].body.dump(), full[i].body.dump()) << text;
    ASSERT_EQ(fast[i].body.is_object(), full[i].body.is_object());
    for (auto it = fast[i].body.begin(); it != fast[i].body.end(); ++it) {
      const json& other = full[i].body.at(it.key());
      EXPECT_EQ(it->type(), other.type()) << text << " key " << it.key();
      if (it->is_number_float()) {
        EXPECT_EQ(std::signbit(it->get<double>()), std::signbit(other.get<double>())) << text;
      }
    }
  }
}

// The fast path never disagrees with the full one; returns whether it answered.
bool check(std::string_view text, const PayloadLimits& limits = {}) {
  auto fast = fast_route_telemetry(text, limits);
  auto full = full_route(text, limits);
  if (fast) {
    EXPECT_TRUE(full.has_value()) << "fast path accepted what the full path refuses or warns about: " << text;
    if (full) expect_same(*fast, *full, text);
  }
  return fast.has_value();
}

TEST(PlatformFastTelemetry, TakesTheSeedExamples) {
  EXPECT_TRUE(check(kTelemetrySingleLayer));
  EXPECT_TRUE(check(kTelemetryMultiLevel));
  // Historical records take the full path.
  EXPECT_FALSE(check(kTelemetryHistorical));
}

TEST(PlatformFastTelemetry, AnswersCleanMessagesLikeTheFullPath) {
  for (std::string_view text : {
           R"({"gateway_data":{"t":26.0,"v":"2.0.0","s":true,"n":null,"f":false}})",
           R"({"sub_gateway_data":{"b":{"gateway_data":{}},"a":{"sub_device_data":{"z":{"x":1},"y":{"x":-1}}}},"gateway_data":{"a":1}})",
           R"( { "sub_device_data" : { "s2" : { "h" : 0.1 } , "s1" : { "h" : -0.0 } } } )",
           "{\"gateway_data\":{\"t\":-0,\"u\":0,\"big\":999999999999999999,\"neg\":-999999999999999999}}\n",
           R"({"gateway_data":{"a":0.000001,"b":12345678901234.5,"c":1.5,"d":3.14159,"e":-2.25,"f":100.0}})",
           R"({"gateway_data":{"名前":"温度","k":"é€𐍈"}})",
           R"({"sub_gateway_data":{"g1":{"sub_gateway_data":{"g2":{"sub_gateway_data":{"g3":{"sub_gateway_data":{"g4":{"sub_gateway_data":{"g5":{"gateway_data":{"x":1}}}}}}}}}}}})",
           R"({"sub_gateway_data":{}, "gateway_data":{"x":1}})",
       }) {
    EXPECT_TRUE(check(text)) << text;
  }
}

TEST(PlatformFastTelemetry, LeavesEverythingElseToTheFullPath) {
  for (std::string_view text : {
           "",
           "[]",
           "{}",
           R"({"sub_device_data":{}})",                                 // nothing in it: an error
           R"({"gateway_data":{"t":1},"other":1})",                     // unknown member: a warning
           R"({"gateway_data":{"t":1},"gateway_data":{"t":2}})",        // repeated member
           R"({"gateway_data":{"t":1,"t":2}})",                         // repeated key
           R"({"sub_device_data":{"a":{},"a":{"x":1}}})",               // repeated address
           R"({"gateway_data":{"":1}})",                                // empty key: an error
           R"({"sub_device_data":{"":{"x":1}}})",                       // empty address: an error
           R"({"gateway_data":{"t":{"nested":1}}})",                    // not a scalar: an error
           R"({"gateway_data":{"t":[1]}})",
           R"({"gateway_data":[{"ts":1,"values":{"t":1}}]})",           // historical
           R"({"gateway_data":{"t":"a\"b"}})",                          // escapes
           R"({"gateway_data":{"t\u0041":1}})",
           R"({"gateway_data":{"t":1e3}})",                             // exponent
           R"({"gateway_data":{"t":1234567890123456.5}})",              // past 15 digits
           R"({"gateway_data":{"t":9999999999999999999}})",             // past 10^18
           R"({"gateway_data":{"t":-9223372036854775808}})",
           R"({"gateway_data":{"t":01}})",                              // not JSON
           R"({"gateway_data":{"t":1.}})",
           R"({"gateway_data":{"t":.5}})",
           R"({"gateway_data":{"t":tru}})",
           R"({"gateway_data":{"t":1},})",
           R"({"gateway_data":{"t":1}} x)",
           "\xEF\xBB\xBF{\"gateway_data\":{\"t\":1}}",                  // byte order mark
           "{\"gateway_data\":{\"t\":\"\xC3\x28\"}}",                   // invalid UTF-8
           "{\"gateway_data\":{\"t\":\"\xED\xA0\x80\"}}",               // a surrogate in UTF-8
           "{\"gateway_data\":{\"t\":\"a\tb\"}}",                       // control character
           R"({"sub_gateway_data":{"g1":{"sub_gateway_data":{"g2":{"sub_gateway_data":{"g3":{"sub_gateway_data":{"g4":{"sub_gateway_data":{"g5":{"sub_gateway_data":{"g6":{"gateway_data":{"x":1}}}}}}}}}}}}}})",
       }) {
    EXPECT_FALSE(check(text)) << text;
  }
}

TEST(PlatformFastTelemetry, KeepsTheLimits) {
  const std::string text(kTelemetryMultiLevel);
  PayloadLimits small;
  small.max_payload_bytes = text.size() - 1;
  EXPECT_FALSE(check(text, small));
  PayloadLimits shallow;
  shallow.max_json_nesting = 4;  // sub_gateway_data.gateway_001.sub_device_data.sensor_101 is 5 deep
  EXPECT_FALSE(check(text, shallow));
  shallow.max_json_nesting = 5;
  EXPECT_TRUE(check(text, shallow));
  PayloadLimits no_sub_gateways;
  no_sub_gateways.max_sub_gateway_depth = 0;
  EXPECT_FALSE(check(text, no_sub_gateways));
  PayloadLimits warn_early;
  warn_early.warn_sub_gateway_depth = 0;
  EXPECT_FALSE(check(text, warn_early));
}

// Each tricky value as a reading, a key, an address, and each tricky text
// whole: wherever the fast path answers, the full path agrees.
TEST(PlatformFastTelemetry, TrickyInputsNeverDisagree) {
  int answered = 0;
  for (const std::string& v : json_testing::tricky_values()) {
    for (const std::string& text : {
             R"({"gateway_data":{"t":)" + v + "}}",
             R"({"gateway_data":{"a":1,"t":)" + v + R"(},"sub_device_data":{"s":{"t":)" + v + "}}}",
             R"({"gateway_data":{)" + v + ":1}}",
             R"({"sub_device_data":{)" + v + R"(:{"x":1}}})",
             R"({"sub_gateway_data":{)" + v + R"(:{"gateway_data":{"x":)" + v + "}}}}",
             "{" + v + R"(:{"x":1}})",
         }) {
      answered += check(text);
    }
    if (HasFailure()) return;
  }
  for (const std::string& text : json_testing::tricky_texts()) check(text);
  EXPECT_GT(answered, 50);
}

// Random byte edits of real payloads: wherever the fast path answers, the full
// path agrees (check() asserts it).
TEST(PlatformFastTelemetry, MutationsNeverDisagree) {
  const std::vector<std::string> seeds = {
      std::string(kTelemetryMultiLevel), std::string(kTelemetrySingleLayer),
      R"({"gateway_data":{"temperature":26.3,"version":"2.0.0","switch":true},"sub_device_data":{"sensor_001":{"temperature":24.5,"humidity":63.2,"switch":true},"sensor_002":{"temperature":26.1,"humidity":58.4,"switch":false}},"sub_gateway_data":{"gateway_001":{"gateway_data":{"temperature":28,"version":"1.5.0","switch":true},"sub_device_data":{"sensor_101":{"temperature":27.5,"humidity":55.1}}}}})",
  };
  const std::string alphabet = "{}[]\":,.-+eE0123456789 tfnul\\\x80\xC3\xA9xyz_";
  std::mt19937 rng(20261125);
  int answered = 0;
  for (int round = 0; round < 20000; ++round) {
    const std::string text = json_testing::mutated(seeds[rng() % seeds.size()], alphabet, rng);
    if (check(text)) ++answered;
    if (HasFailure()) return;
  }
  EXPECT_GT(answered, 100);  // the mutations do exercise the fast path
}

// The envelope as the full JSON parse reads it (what unwrap_envelope did
// before its scanner): the reference for the scanner.
mqtt::Result<std::optional<BrokerEnvelope>> reference_unwrap(std::string_view text) {
  using Maybe = std::optional<BrokerEnvelope>;
  auto parsed = parse_json_text(text);
  if (!parsed) return Maybe{};
  const json& value = *parsed;
  if (!value.is_object() || value.size() != 2) return Maybe{};
  const auto id = value.find("device_id");
  const auto values = value.find("values");
  if (id == value.end() || values == value.end() || !id->is_string() || !values->is_string()) return Maybe{};
  auto decoded = base64_decode(values->get_ref<const std::string&>());
  if (!decoded) return mqtt::make_error(mqtt::ReasonCode::PayloadFormatInvalid, "values: " + decoded.error().message);
  return Maybe{BrokerEnvelope{id->get<std::string>(), std::move(*decoded)}};
}

void expect_same_envelope(std::string_view text) {
  auto got = unwrap_envelope(text);
  auto want = reference_unwrap(text);
  ASSERT_EQ(got.ok(), want.ok()) << text;
  if (!got) {
    EXPECT_EQ(got.error().message, want.error().message) << text;
    return;
  }
  EXPECT_EQ(*got, *want) << text;
}

TEST(PlatformFastEnvelope, AgreesWithTheJsonReading) {
  const std::string b64 = base64_encode(kTelemetryMultiLevel);
  for (std::string text : {
           R"({"device_id":"d-1","values":")" + b64 + R"("})",
           R"( {"values":")" + b64 + R"(" , "device_id" : "d-1"} )",
           std::string(kTelemetryMultiLevel),
           std::string(R"({"device_id":"d","values":"not base64!"})"),
           std::string(R"({"device_id":"d","values":"QQ=="})"),
           std::string(R"({"device_id":"d"})"),
           std::string(R"({"device_id":"d","values":"QQ==","x":1})"),
           std::string(R"({"device_id":1,"device_id":"d","values":"QQ=="})"),
           std::string(R"({"device_id":"a","device_id":"d","values":"QQ=="})"),
           std::string(R"({"device_id":"d","device_id":"e"})"),
           std::string(R"({"device_id":"d","values":"QQ=="} x)"),
           std::string(R"({"device\u005fid":"d","values":"QQ=="})"),
           std::string(R"({"device_id":"d\u00e9","values":"QQ=="})"),
           std::string("{\"device_id\":\"d\xC3\xA9\",\"values\":\"QQ==\"}"),
           std::string("\xEF\xBB\xBF{\"device_id\":\"d\",\"values\":\"QQ==\"}"),
           std::string(R"({"values":1,"device_id":"d"})"),
           std::string(R"({})"), std::string("[]"), std::string(""), std::string("\"s\""),
           std::string(R"({"device_id":"d","values":""})"),
       }) {
    expect_same_envelope(text);
  }
}

TEST(PlatformFastEnvelope, TrickyInputsNeverDisagree) {
  for (const std::string& v : json_testing::tricky_values()) {
    for (const std::string& text : {
             R"({"device_id":)" + v + R"(,"values":"QQ=="})",
             R"({"values":)" + v + R"(,"device_id":"d"})",
             "{" + v + R"(:"d","values":"QQ=="})",
             R"({"device_id":"d",)" + v + R"(:"QQ=="})",
             R"({"device_id":"d","values":"QQ==",)" + v + ":1}",
         }) {
      expect_same_envelope(text);
    }
    if (HasFailure()) return;
  }
  for (const std::string& text : json_testing::tricky_texts()) expect_same_envelope(text);
}

TEST(PlatformFastEnvelope, MutationsNeverDisagree) {
  const std::string seed = R"({"device_id":"gw-1","values":")" + base64_encode(R"({"gateway_data":{"t":1}})") + R"("})";
  const std::string alphabet = "{}[]\":, dvaluesice_id=AQ\\\x80\xC3\xA9";
  std::mt19937 rng(7);
  for (int round = 0; round < 20000; ++round) {
    const std::string text = json_testing::mutated(seed, alphabet, rng);
    expect_same_envelope(text);
    if (HasFailure()) return;
  }
}

TEST(PlatformFastOutputs, HandsOverWhatReceiveWouldReport) {
  for (const std::string payload : {std::string(kTelemetryMultiLevel),
                                    std::string(R"({"sub_device_data":{"b":{"z":1,"a":"x"},"a":{"on":true}}})")}) {
    platform::PlatformRole plain;
    platform::PlatformRole fast_role;
    const auto want = plain.receive("gateway/telemetry", payload, 1'700'000'000'000, "gw-1");
    platform::FastOutputs fast;
    const auto got = fast_role.receive("gateway/telemetry", payload, 1'700'000'000'000, "gw-1", &fast);
    ASSERT_TRUE(fast.taken) << payload;
    EXPECT_TRUE(got.events.empty());
    EXPECT_TRUE(got.publications.empty());
    EXPECT_EQ(fast.gateway, "gw-1");
    EXPECT_EQ(fast.ts_ms, 1'700'000'000'000);
    ASSERT_EQ(fast.telemetry.targets.size(), want.events.size());
    ASSERT_EQ(fast.devices.size(), want.events.size());
    for (std::size_t i = 0; i < want.events.size(); ++i) {
      const auto& e = std::get<platform::TelemetryReceived>(want.events[i]);
      const auto& entry = fast.telemetry.targets[i];
      EXPECT_EQ(fast.telemetry.target_of(entry), e.target);
      EXPECT_EQ(readings_value(fast.telemetry.readings_of(entry)).dump(), e.values.dump());
      EXPECT_EQ(fast.devices[i], e.device);
      // Both views hold the same.
      const auto* a = plain.view().device("gw-1", e.target);
      const auto* b = fast_role.view().device("gw-1", e.target);
      ASSERT_TRUE(a != nullptr && b != nullptr);
      EXPECT_EQ(a->telemetry, b->telemetry);
      EXPECT_EQ(a->id, b->id);
    }
  }
  // Anything else goes the usual way.
  platform::PlatformRole role;
  platform::FastOutputs fast;
  const auto out = role.receive("gateway/telemetry", R"({"gateway_data":[{"ts":1,"values":{"t":1}}]})", 5, "gw", &fast);
  EXPECT_FALSE(fast.taken);
  ASSERT_EQ(out.events.size(), 1u);
  EXPECT_TRUE(std::holds_alternative<platform::TelemetryReceived>(out.events[0]));
}

TEST(PlatformView, FindsEveryDeviceAcrossGrowthAndCopies) {
  PlatformView view;
  const auto target = [](int i) {
    Target t;
    if (i % 3 != 0) t.sub_gateways.push_back("g" + std::to_string(i % 7));
    if (i % 2 == 0) t.sub_device = "d" + std::to_string(i);
    return t;
  };
  for (int i = 0; i < 500; ++i) view.put_telemetry("gw-" + std::to_string(i % 11), target(i), json{{"i", i}}, i);
  const PlatformView copy = view;
  PlatformView assigned;
  assigned = copy;
  for (int i = 0; i < 500; ++i) {
    for (const PlatformView* v : {static_cast<const PlatformView*>(&view), &copy, static_cast<const PlatformView*>(&assigned)}) {
      const auto* d = v->device("gw-" + std::to_string(i % 11), target(i));
      ASSERT_NE(d, nullptr) << i;
      EXPECT_EQ(d->telemetry.count("i"), 1u);
    }
  }
  EXPECT_EQ(view.device("gw-0", Target{{"nowhere"}, std::nullopt}), nullptr);
  // "a" + sub-gateway "b" is not gateway "ab", nor sub-device "b".
  view.put_telemetry("a", Target{{"b"}, std::nullopt}, json{{"x", 1}}, 1);
  EXPECT_EQ(view.device("ab", Target{}), nullptr);
  EXPECT_EQ(view.device("a", Target{{}, "b"}), nullptr);
  EXPECT_NE(view.device("a", Target{{"b"}, std::nullopt}), nullptr);
}

TEST(PlatformView, GivesEachDeviceAnIdInTheOrderFirstHeard) {
  PlatformView view;
  EXPECT_EQ(view.put_telemetry("g", Target{}, json{{"t", 1}}, 1), 0u);
  EXPECT_EQ(view.put_telemetry("g", Target{{}, "s"}, json{{"t", 1}}, 1), 1u);
  EXPECT_EQ(view.put_telemetry("h", Target{}, json{{"t", 1}}, 1), 2u);
  EXPECT_EQ(view.put_telemetry("g", Target{{}, "s"}, json{{"t", 2}}, 2), 1u);
  EXPECT_EQ(view.device("g", Target{{}, "s"})->telemetry.at("t").value, 2);
}


}  // namespace
}  // namespace tpgate::gateway
