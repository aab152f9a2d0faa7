// libFuzzer target for the emulator's scenario parser and the virtual gateway that
// runs a scenario. Properties checked (abort on violation):
// - nothing crashes or hangs on any input (ASan + UBSan);
// - a refused scenario names a path starting with "$" and a message starting with it;
// - normalization is a fixed point: normalize(parse(normalize(parse(x)))) == normalize(parse(x));
// - an accepted scenario runs: one gateway starts, connects and reports for a few
//   deadlines without failing.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "emulator/virtual_gateway.hpp"

namespace emu = tpgate::emulator;

namespace {

class NullSink : public emu::OutputSink {
 public:
  void write(std::span<const std::uint8_t>) override {}
  void request(std::uint8_t) override {}
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const emu::ScenarioResult parsed = emu::parse_scenario(text);
  if (!parsed.ok()) {
    if (parsed.error.path.empty() || parsed.error.path[0] != '$') std::abort();
    if (parsed.error.message.rfind(parsed.error.path, 0) != 0) std::abort();
    return 0;
  }
  const std::string once = emu::normalized_scenario_json(*parsed.scenario);
  const emu::ScenarioResult again = emu::parse_scenario(once);
  if (!again.ok() || emu::normalized_scenario_json(*again.scenario) != once) std::abort();

  // Keep each run short: big topologies are valid but slow to simulate here.
  if (parsed.scenario->topology.slots.size() > 2000 || parsed.scenario->topology.devices.size() > 200) return 0;
  emu::Metrics metrics;
  emu::EventLog events;
  emu::VirtualGateway gw(parsed.scenario, emu::gateway_identity(*parsed.scenario, 0), parsed.scenario->seed,
                         emu::GatewayContext{&metrics, &events, 0});
  NullSink sink;
  std::int64_t now = 1'600'000'000'000;
  gw.start(now, sink);
  gw.transport_open(now, sink);
  const std::uint8_t connack[] = {0x20, 0x02, 0x00, 0x00};
  gw.receive(connack, now, sink);
  for (int i = 0; i < 20; ++i) {
    const auto deadline = gw.next_deadline();
    if (!deadline) break;
    now = std::max(now, *deadline);
    gw.tick(now, sink);
  }
  gw.stop(now, sink);
  (void)events.take();
  return 0;
}
