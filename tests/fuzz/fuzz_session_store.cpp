// libFuzzer target for ClientSession::restore(), the reader of session store
// logs (mqtt/session_store.hpp). Input: one mode byte, then the log.
//   mode bit 0: MQTT 3.1.1 (else 5); bit 1: recover; bit 2: clean start;
//   bit 3: recompute every entry's checksum first, so that mutations reach the
//   entry parser instead of stopping at the CRC.
// Properties checked (abort on violation):
// - nothing crashes or hangs on any input (ASan + UBSan);
// - a refusal is ErrorKind::Store with a known path and a message;
// - a restored session snapshots to a log that restores to the same snapshot;
// - a restored session runs: it starts, connects, resumes and ends.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string_view>
#include <vector>

#include "mqtt/session.hpp"
#include "mqtt/session_store.hpp"

namespace mqtt = tpgate::mqtt;

namespace {

constexpr std::string_view kServer = "mqtt://127.0.0.1:1883";

mqtt::SessionOptions options_for(std::uint8_t mode) {
  mqtt::SessionOptions o;
  o.version = (mode & 1U) != 0 ? mqtt::ProtocolVersion::v311 : mqtt::ProtocolVersion::v5;
  o.client_id = "c1";
  o.clean_start = (mode & 4U) != 0;
  o.journal = true;
  return o;
}

void fix_checksums(std::vector<std::uint8_t>& log) {
  std::size_t at = 0;
  while (log.size() - at >= 8) {
    std::uint32_t n = 0;
    std::memcpy(&n, log.data() + at, 4);
    if (n == 0 || n > log.size() - at - 8) return;
    const std::uint32_t crc = mqtt::crc32(std::span<const std::uint8_t>(log.data() + at + 4, n));
    std::memcpy(log.data() + at + 4 + n, &crc, 4);
    at += 8 + n;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  const std::uint8_t mode = data[0];
  std::vector<std::uint8_t> log(data + 1, data + size);
  if ((mode & 8U) != 0) fix_checksums(log);

  mqtt::ClientSession session(options_for(mode));
  auto restored = session.restore(log, kServer, (mode & 2U) != 0);
  if (!restored) {
    const mqtt::Error& e = restored.error();
    if (e.kind != mqtt::ErrorKind::Store || e.message.empty()) std::abort();
    if (e.path != mqtt::kStoreCorrupt && e.path != mqtt::kStoreVersion && e.path != mqtt::kStoreMismatch) std::abort();
    return 0;
  }
  if (restored->intact_bytes + restored->dropped_bytes != log.size()) std::abort();

  const mqtt::Bytes snapshot = session.snapshot(kServer);
  mqtt::ClientSession again(options_for(mode));
  auto second = again.restore(snapshot, kServer, false);
  if (!second) { fprintf(stderr, "SECOND: %s\n", second.error().message.c_str()); std::abort(); }
  if (second->dropped_bytes != 0) std::abort();
  if (again.snapshot(kServer) != snapshot) std::abort();

  // It runs: CONNECT, a CONNACK (Session Present unless clean start), an end.
  session.start(0);
  session.transport_open(0);
  const std::uint8_t present = (mode & 4U) != 0 ? 0 : 1;
  const std::vector<std::uint8_t> connack = (mode & 1U) != 0 ? std::vector<std::uint8_t>{0x20, 0x02, present, 0x00}
                                                             : std::vector<std::uint8_t>{0x20, 0x03, present, 0x00, 0x00};
  session.receive(connack, 1);
  (void)session.take_output();
  session.disconnect(2);
  (void)session.take_output();
  return 0;
}
