// Generators, latency distributions, the JSON writer and the latency histogram: each
// deterministic for a seed, within its range, and formatting numbers the way they parse back.
#include <gtest/gtest.h>

#include <cmath>
#include <set>
#include <string>

#include "emulator/generator.hpp"
#include "emulator/json_writer.hpp"
#include "emulator/metrics.hpp"
#include "emulator/random.hpp"
#include "emulator/scenario_parse_parts.hpp"

namespace tpgate::emulator {
namespace {

Generator gen(std::string_view text) {
  Reader r;
  Generator g;
  const bool ok = parse_generator(r, json::parse(text), "$", true, g);
  EXPECT_TRUE(ok) << (r.failed() ? r.error().message : "");
  return g;
}

// `n` reported values (advance, then read) as JSON text.
std::vector<std::string> run(const Generator& g, std::uint64_t seed, int n, std::int64_t step_ms = 1000) {
  Slot s = make_slot(g, seed);
  std::vector<std::string> owned;
  std::vector<std::string> out;
  for (int i = 0; i < n; ++i) {
    advance(g, s, i * step_ms);
    std::string text;
    {
      tpgate::json::Writer w(text);
      write_value(w, g, s, owned);
    }
    out.push_back(text);
  }
  return out;
}

TEST(EmulatorGenerators, SameSeedSameValuesOtherSeedOtherValues) {
  const Generator g = gen(R"({"type":"uniform","min":0,"max":100})");
  EXPECT_EQ(run(g, 42, 50), run(g, 42, 50));
  EXPECT_NE(run(g, 42, 50), run(g, 43, 50));
  // Streams are keyed by (seed, gateway, slot): neighbours differ.
  EXPECT_NE(stream_seed(1, 7, 3), stream_seed(1, 8, 3));
  EXPECT_NE(stream_seed(1, 7, 3), stream_seed(1, 7, 4));
  EXPECT_NE(stream_seed(1, 7, 3), stream_seed(2, 7, 3));
}

TEST(EmulatorGenerators, ConstantKeepsItsValue) {
  EXPECT_EQ(run(gen(R"("1.0.0")"), 1, 3), (std::vector<std::string>{"\"1.0.0\"", "\"1.0.0\"", "\"1.0.0\""}));
  EXPECT_EQ(run(gen(R"({"type":"constant","value":true})"), 1, 2), (std::vector<std::string>{"true", "true"}));
}

TEST(EmulatorGenerators, UniformStaysInRangeWithDecimals) {
  const Generator g = gen(R"({"type":"uniform","min":10,"max":20,"decimals":1})");
  double sum = 0;
  for (const auto& v : run(g, 5, 2000)) {
    const double x = std::stod(v);
    ASSERT_GE(x, 10);
    ASSERT_LE(x, 20);
    EXPECT_DOUBLE_EQ(x, std::round(x * 10) / 10) << v;
    sum += x;
  }
  EXPECT_NEAR(sum / 2000, 15, 0.3);
}

TEST(EmulatorGenerators, RandomWalkStartsAtStartStepsAndClamps) {
  const Generator g = gen(R"({"type":"random_walk","start":25,"step":0.5,"min":24,"max":26})");
  const auto values = run(g, 9, 500);
  EXPECT_EQ(values[0], "25");
  double previous = 25;
  for (std::size_t i = 1; i < values.size(); ++i) {
    const double x = std::stod(values[i]);
    ASSERT_GE(x, 24);
    ASSERT_LE(x, 26);
    ASSERT_LE(std::fabs(x - previous), 0.5 + 1e-9);
    previous = x;
  }
}

TEST(EmulatorGenerators, SineFollowsTheFormula) {
  const Generator g = gen(R"({"type":"sine","min":0,"max":10,"period_s":4})");
  // t = 0, 1, 2, 3 s: 5, 10, 5, 0.
  const auto values = run(g, 1, 4);
  EXPECT_NEAR(std::stod(values[0]), 5, 1e-9);
  EXPECT_NEAR(std::stod(values[1]), 10, 1e-9);
  EXPECT_NEAR(std::stod(values[2]), 5, 1e-9);
  EXPECT_NEAR(std::stod(values[3]), 0, 1e-9);
}

TEST(EmulatorGenerators, SequenceCyclesCounterWrapsToggleFlips) {
  EXPECT_EQ(run(gen(R"({"type":"sequence","values":["a",2,false]})"), 1, 5),
            (std::vector<std::string>{"\"a\"", "2", "false", "\"a\"", "2"}));
  EXPECT_EQ(run(gen(R"({"type":"counter","start":1,"step":2,"max":5})"), 1, 5),
            (std::vector<std::string>{"1", "3", "5", "1", "3"}));
  EXPECT_EQ(run(gen(R"({"type":"toggle"})"), 1, 3), (std::vector<std::string>{"false", "true", "false"}));
  EXPECT_EQ(run(gen(R"({"type":"toggle","start":true})"), 1, 2), (std::vector<std::string>{"true", "false"}));
}

TEST(EmulatorGenerators, ChoiceFollowsWeights) {
  const Generator g = gen(R"({"type":"choice","values":["x","y"],"weights":[3,1]})");
  int x = 0;
  const auto values = run(g, 77, 4000);
  for (const auto& v : values) x += v == "\"x\"" ? 1 : 0;
  EXPECT_NEAR(x / 4000.0, 0.75, 0.03);
  const Generator never = gen(R"({"type":"choice","values":["a","b"],"weights":[0,1]})");
  for (const auto& v : run(never, 3, 100)) EXPECT_EQ(v, "\"b\"");
}

TEST(EmulatorGenerators, SetValueContinuesWalksAndHoldsOthers) {
  std::vector<std::string> owned;
  const Generator walk = gen(R"({"type":"counter","start":0,"step":1})");
  Slot s = make_slot(walk, 1);
  advance(walk, s, 0);
  set_value(walk, s, json(100), owned);
  advance(walk, s, 1);
  EXPECT_EQ(slot_value(walk, s, owned), json(100));  // reported once as set
  advance(walk, s, 2);
  EXPECT_EQ(slot_value(walk, s, owned), json(101));  // then goes on from there
  const Generator uniform = gen(R"({"type":"uniform","min":0,"max":1})");
  Slot u = make_slot(uniform, 1);
  set_value(uniform, u, json("manual"), owned);
  advance(uniform, u, 5);
  EXPECT_EQ(slot_value(uniform, u, owned), json("manual"));  // held until the next set
}

TEST(EmulatorLatency, SampleMeansMatchTheDistributions) {
  const auto mean_of = [](const char* text) {
    Reader r;
    Latency l;
    EXPECT_TRUE(parse_latency(r, json::parse(text), "$", l));
    std::uint64_t rng = 12345;
    double sum = 0, sq = 0, lo = 1e18, hi = -1;
    const int n = 20000;
    for (int i = 0; i < n; ++i) {
      const double x = sample_latency_ms(l, rng);
      sum += x;
      sq += x * x;
      lo = std::min(lo, x);
      hi = std::max(hi, x);
    }
    const double mean = sum / n;
    return std::array<double, 4>{mean, std::sqrt(sq / n - mean * mean), lo, hi};
  };
  EXPECT_EQ(mean_of("20")[0], 20);
  auto u = mean_of(R"({"type":"uniform","min":10,"max":50})");
  EXPECT_NEAR(u[0], 30, 0.5);
  EXPECT_GE(u[2], 10);
  EXPECT_LE(u[3], 50);
  auto nrm = mean_of(R"({"type":"normal","mean":30,"stddev":5})");
  EXPECT_NEAR(nrm[0], 30, 0.2);
  EXPECT_NEAR(nrm[1], 5, 0.2);
  auto e = mean_of(R"({"type":"exponential","mean":30})");
  EXPECT_NEAR(e[0], 30, 1.0);
  EXPECT_NEAR(e[1], 30, 1.5);  // an exponential's stddev equals its mean
  EXPECT_GE(e[2], 0);
}

TEST(EmulatorJsonWriter, NumbersAreShortestAndRoundTrip) {
  EXPECT_EQ(format_number(25), "25");
  EXPECT_EQ(format_number(-3), "-3");
  EXPECT_EQ(format_number(25.3), "25.3");
  EXPECT_EQ(format_number(0.1), "0.1");
  EXPECT_EQ(format_number(1e300), "1e+300");
  EXPECT_EQ(format_number(1.0 / 3), "0.3333333333333333");
  EXPECT_EQ(format_number(std::nan("")), "null");
  std::uint64_t rng = 99;
  for (int i = 0; i < 10000; ++i) {
    const double x = (next_unit(rng) - 0.5) * std::pow(10.0, static_cast<double>(i % 40) - 20);
    ASSERT_EQ(std::strtod(format_number(x).c_str(), nullptr), x) << format_number(x);
  }
}

// write_rounded writes rounded readings from their digits; differential against
// write_number (nlohmann's shortest round trip) over every decimals and magnitude.
TEST(EmulatorJsonWriter, RoundedReadingsMatchTheGeneralPath) {
  const auto rounded = [](double value, int decimals) {
    std::string out;
    {
      tpgate::json::Writer w(out);
      write_rounded(w, value, decimals);
    }
    return out;
  };
  EXPECT_EQ(rounded(25.3, 1), "25.3");
  EXPECT_EQ(rounded(-0.5, 1), "-0.5");
  EXPECT_EQ(rounded(0.001, 3), "0.001");
  EXPECT_EQ(rounded(60, 1), "60");
  EXPECT_EQ(rounded(12.5, 3), "12.5");
  // Every value the digits path takes: k / 10^d for k below 1000, both signs.
  for (int decimals = 1; decimals <= 9; ++decimals) {
    for (int k = 1; k < 1000; ++k) {
      for (int sign : {1, -1}) {
        const double x = round_to(sign * k / std::pow(10.0, decimals), decimals);
        ASSERT_EQ(rounded(x, decimals), format_number(x)) << "k " << k << ", decimals " << decimals;
      }
    }
  }
  // Anything else goes through the general path.
  std::uint64_t rng = 7;
  for (int i = 0; i < 200000; ++i) {
    const int decimals = i % 12 - 1;  // -1 (none) to 10
    const double magnitude = std::pow(10.0, static_cast<double>(i % 17) - 7);
    const double x = round_to((next_unit(rng) - 0.5) * 2 * magnitude, decimals);
    ASSERT_EQ(rounded(x, decimals), format_number(x)) << "decimals " << decimals;
  }
  // Not a decimal of that many places: the general path.
  EXPECT_EQ(rounded(1.0 / 3, 2), format_number(1.0 / 3));
}

TEST(EmulatorJsonWriter, StringsAreEscaped) {
  std::string out;
  append_string(out, std::string("a\"b\\c\n\x01\xc3\xa9", 9));
  EXPECT_EQ(out, "\"a\\\"b\\\\c\\n\\u0001\xc3\xa9\"");
  EXPECT_EQ(json::parse(out).get<std::string>(), std::string("a\"b\\c\n\x01\xc3\xa9", 9));
}

TEST(EmulatorMetrics, HistogramPercentiles) {
  LatencyHistogram h;
  EXPECT_FALSE(h.percentile(0.5).has_value());
  for (int i = 1; i <= 100; ++i) h.add(i);
  EXPECT_NEAR(*h.percentile(0.5), 50, 50 * 0.07);
  EXPECT_NEAR(*h.percentile(0.99), 99, 99 * 0.07);
  h.clear();
  h.add(3);
  EXPECT_EQ(*h.percentile(0.5), 3);
  for (double v : {16.0, 17.5, 100.0, 1e6, 1e12}) {
    const auto b = LatencyHistogram::bucket_of(v);
    EXPECT_LE(LatencyHistogram::bucket_low(b), v);
    EXPECT_GT(LatencyHistogram::bucket_high(b), v);
  }
}

TEST(EmulatorMetrics, StatsJsonHasEveryCounterAndNullPercentiles) {
  Metrics m;
  m.counters.published = 3;
  const json s = json::parse(stats_json(m, 7, 3));
  for (const char* key : {"gateways", "connected", "published", "publish_acked", "received", "commands", "attribute_sets",
                          "attribute_gets", "controls", "events_sent", "reports_acked", "failures_injected", "errors",
                          "reconnects", "dropped", "queued", "queued_bytes", "bytes_out", "bytes_in", "ack_p50_ms", "ack_p99_ms",
                          "report_ack_p50_ms", "report_ack_p99_ms", "protocol_errors", "refused",
                          "report_ack_timeouts", "request_failures", "script_errors", "commands_failed",
                          "attribute_sets_failed", "attribute_gets_failed", "controls_failed", "published_telemetry",
                          "published_attributes", "published_events", "published_responses", "request_service_p50_ms",
                          "request_service_p99_ms"}) {
    EXPECT_TRUE(s.contains(key)) << key;
  }
  EXPECT_EQ(s["gateways"], 7);
  EXPECT_EQ(s["published"], 3);
  EXPECT_EQ(s["queued"], 3);
  EXPECT_TRUE(s["ack_p50_ms"].is_null());
}

TEST(EmulatorMetrics, RunHistogramsOutliveTheWindowsAndListTheirBuckets) {
  Metrics m;
  for (double v : {0.0, 3.0, 3.0, 17.0, 250.0}) m.add_ack(v);
  m.add_request_service(40);
  (void)stats_json(m, 1, 0);  // ends the window
  EXPECT_EQ(m.ack.count(), 0u);
  EXPECT_EQ(m.ack_run.count(), 5u);
  const json h = json::parse(histograms_json(m));
  ASSERT_TRUE(h["ack_ms"].is_array());
  std::uint64_t total = 0;
  double last_low = -1;
  for (const auto& b : h["ack_ms"]) {
    ASSERT_EQ(b.size(), 3u);
    const double low = b[0];
    const double high = b[1];
    EXPECT_LT(last_low, low);  // in order, each bucket once
    last_low = low;
    EXPECT_LT(low, high);
    total += b[2].get<std::uint64_t>();
  }
  EXPECT_EQ(total, 5u);
  EXPECT_EQ(h["ack_ms"][1], json::parse("[3,4,2]"));
  EXPECT_EQ(h["ack_ms"][2], json::parse("[16,18,1]"));  // 17 ms: the first log bucket, 16..18
  EXPECT_EQ(h["report_ack_ms"], json::parse("[]"));
  EXPECT_EQ(h["request_service_ms"].size(), 1u);
}

}  // namespace
}  // namespace tpgate::emulator
